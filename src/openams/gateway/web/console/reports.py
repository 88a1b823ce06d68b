"""Console: the daily settlement report of a merchant (issue #7), shown and downloaded.

``/console/m/{clientId}/reports?date=YYYY-MM-DD`` shows the day's settlement summary
with links to the two CSV files, the same files ``openams reports settlement`` writes.
Read-only GETs behind the console session; nothing here changes state, so no CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.fx import RateError, RateNotFound, parse_day
from openams.gateway.services.reports import SETTLEMENT_COLUMNS, ReportService, SettlementReport
from openams.gateway.web.cashier.csrf import Csrf
from openams.gateway.web.console.routes import (
    PREFIX,
    SECURITY_HEADERS,
    Console,
    ConsoleServices,
)
from openams.gateway.web.console.security import Sessions

FILES = ("transactions", "settlement")
#: the summary's amounts (major units of the row's settlementCurrency): right-aligned
MONEY_COLUMNS = frozenset(c for c in SETTLEMENT_COLUMNS if c.endswith("Amount"))


def reports_router(
    services: ConsoleServices, csrf: Csrf, sessions: Sessions, reports: ReportService
) -> APIRouter:
    c = Console(services, csrf, sessions)
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    def build(
        request: Request, client_id: str, day_text: str
    ) -> tuple[SettlementReport | None, Response | None]:
        """The report, or the page that explains why there is none."""
        try:
            day = parse_day(day_text)
        except RateError as exc:
            return None, c.page(request, 400, "Bad date", str(exc))
        try:
            return reports.settlement_report(client_id, day), None
        except DomainError:
            return None, c.page(request, 404, "No such merchant", f"{client_id} is not registered.")
        except RateNotFound as exc:
            return None, c.page(request, 409, "Missing FX rate", str(exc))

    @router.get("/m/{client_id}/reports")
    def reports_page(request: Request, client_id: str) -> Response:
        seen = c.signed_in_view(request, client_id)
        if isinstance(seen, Response):
            return seen
        user, merchant = seen
        day_text = request.query_params.get("date") or datetime.now(UTC).date().isoformat()
        report, refused = build(request, client_id, day_text)
        if refused is not None:
            return refused
        assert report is not None
        base = f"{PREFIX}/m/{quote(client_id, safe='')}/reports"
        return c.render(
            request,
            "reports.html",
            user=user,
            merchant=merchant,
            report=report,
            columns=SETTLEMENT_COLUMNS,
            money_columns=MONEY_COLUMNS,
            links={name: f"{base}/{name}.csv?date={report.day.isoformat()}" for name in FILES},
        )

    @router.get("/m/{client_id}/reports/{name}.csv")
    def download(request: Request, client_id: str, name: str) -> Response:
        if sessions.user(request) is None:
            return c.redirect(f"{PREFIX}/login")
        if name not in FILES:
            return c.page(request, 404, "No such report", f"{name}.csv is not a report file.")
        report, refused = build(request, client_id, request.query_params.get("date") or "")
        if refused is not None:
            return refused
        assert report is not None
        if name == "transactions":
            filename, text = report.transaction_file_name, report.transactions_csv()
        else:
            filename, text = report.settlement_file_name, report.settlement_csv()
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        }
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    return router
