"""consult: the payment methods that fit an amount, currency, terminal and region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.errors import param_illegal
from openams.gateway.domain.ports import PaymentMethodCatalogue
from openams.gateway.services.pay_rules import check_env, check_product, parse_money
from openams.protocol.models import ConsultRequest


@dataclass
class ConsultService:
    catalogue: PaymentMethodCatalogue

    def consult(self, request: ConsultRequest) -> list[Any]:
        check_product(request.product_code)
        money = parse_money(request.payment_amount, "paymentAmount")
        if request.env is None:
            raise param_illegal("env is required (env.terminalType: WEB, WAP or APP)")
        terminal, os_type = check_env(request.env, request.product_code)
        return self.catalogue.consult(
            money=money,
            terminal_type=terminal,
            os_type=os_type,
            product_code=request.product_code,
            allowed_regions=request.allowed_payment_method_regions,
            allowed_methods=request.allowed_payment_methods,
            blocked_methods=request.blocked_payment_methods,
            user_region=request.user_region,
        )
