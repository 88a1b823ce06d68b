"""Wallet flows end to end in Chromium: WEB (QR + wallet simulator), WAP (H5), APP fallback,
and AlipayCN's redirectActionForm."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
from PIL import Image

from tests.ams_client import AmsClient
from tests.cashier.conftest import REDIRECT_URL, Browsing
from tests.cashier.helpers import code_value, inquiry, pay, token_of
from tests.gateway.integration import seed_samples as seeds
from tests.gateway.integration.payloads import new_id

Decoder = Callable[[Image.Image], list[str]]


def test_web_qr_scanned_by_wallet_simulator_then_desktop_redirects(
    ams: AmsClient, browsing: Browsing, qr_decoder: Decoder
) -> None:
    body = pay(ams, terminal="WEB")
    desktop = browsing.page()
    desktop.goto(body["normalUrl"])
    assert desktop.get_by_test_id("amount").inner_text() == "HKD 1.00"
    assert desktop.get_by_test_id("countdown").inner_text().startswith(("13:", "14:"))
    browsing.shot(desktop, "desktop-qr")

    # "Scan" the QR code shown on the page: it decodes to the code value of the response.
    shown = Image.open(io.BytesIO(desktop.get_by_test_id("qr").screenshot()))
    assert qr_decoder(shown) == [code_value(body)]

    phone = browsing.phone()
    phone.goto(code_value(body))
    browsing.shot(phone, "wallet-login")
    phone.get_by_test_id("account").fill("buyer@example.com")
    phone.get_by_test_id("password").fill("anything")
    phone.get_by_test_id("login").click()
    assert phone.get_by_test_id("account-name").inner_text() == "buyer@example.com"
    browsing.shot(phone, "wallet-confirm")
    phone.get_by_test_id("confirm").click()
    assert phone.get_by_test_id("result").get_attribute("data-state") == "PAID"
    assert phone.get_by_test_id("scanned-note").is_visible()
    browsing.shot(phone, "wallet-paid")

    # The desktop page notices by itself and goes back to the merchant, result-free.
    desktop.wait_for_url(REDIRECT_URL)
    assert desktop.url == REDIRECT_URL
    browsing.shot(desktop, "merchant")
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "SUCCESS"


def test_qr_images_decode_to_the_code_value(
    ams: AmsClient, http: httpx.Client, qr_decoder: Decoder
) -> None:
    body = pay(ams, terminal="WEB")
    images = [d for d in body["orderCodeForm"]["codeDetails"] if d["displayType"] != "TEXT"]
    assert [d["displayType"] for d in images] == ["BIGIMAGE", "MIDDLEIMAGE", "SMALLIMAGE"]
    widths = []
    for detail in images:
        response = http.get(detail["codeValue"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        widths.append(image.width)
        assert qr_decoder(image) == [code_value(body)]
    assert widths[0] > widths[1] > widths[2]


def test_wap_login_confirm_password_result_redirect(ams: AmsClient, browsing: Browsing) -> None:
    body = pay(ams, terminal="WAP", os_type="ANDROID")
    assert body["applinkUrl"] and body["appIdentifier"] == "hk.alipay.wallet"
    phone = browsing.phone()
    phone.goto(body["normalUrl"])
    browsing.shot(phone, "h5-login")
    phone.get_by_test_id("account").fill("any-account")
    phone.get_by_test_id("password").fill("any-password")
    phone.get_by_test_id("login").click()
    browsing.shot(phone, "h5-confirm")
    phone.get_by_test_id("confirm").click()
    browsing.shot(phone, "h5-password")
    phone.get_by_test_id("pay-password").fill("000000")
    phone.get_by_test_id("pay").click()
    assert phone.get_by_test_id("result").get_attribute("data-state") == "PAID"
    browsing.shot(phone, "h5-result")
    phone.wait_for_url(REDIRECT_URL)
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "SUCCESS"


def test_app_links_fall_back_to_h5_when_the_app_is_missing(
    ams: AmsClient, browsing: Browsing
) -> None:
    body = pay(ams, terminal="APP", os_type="IOS")
    assert body["schemeUrl"].startswith("openams-alipay-hk://")
    assert "appIdentifier" not in body  # an Android package name: not for iOS
    phone = browsing.phone()
    phone.goto(body["applinkUrl"])
    # An applink that reaches the browser means the app is not installed: the page offers
    # the schemeUrl and continues with the H5 wallet pages by itself.
    phone.wait_for_url(f"**/cashier/{token_of(body['normalUrl'])}")
    browsing.shot(phone, "app-fallback-h5")
    phone.get_by_test_id("account").fill("app-user")
    phone.get_by_test_id("password").fill("secret")
    phone.get_by_test_id("login").click()
    phone.get_by_test_id("confirm").click()
    phone.get_by_test_id("pay-password").fill("123456")
    phone.get_by_test_id("pay").click()
    phone.wait_for_url(REDIRECT_URL)
    assert inquiry(ams, body["paymentId"])["paymentStatus"] == "SUCCESS"


def test_applink_page_offers_the_scheme_url(
    ams: AmsClient, http: httpx.Client, browsing: Browsing
) -> None:
    body = pay(ams, terminal="APP", os_type="ANDROID")
    page = http.get(body["applinkUrl"])
    assert page.status_code == 200
    assert f'data-scheme="{body["schemeUrl"]}"' in page.text
    assert f'href="{body["schemeUrl"]}"' in page.text
    # Opened with scripts off (a WebView without JS), the page still falls back.
    phone = browsing.phone(java_script_enabled=False)
    phone.goto(body["applinkUrl"])
    browsing.shot(phone, "app-launch")
    phone.wait_for_url(f"**/cashier/{token_of(body['normalUrl'])}", timeout=10_000)


def _alipaycn_form_page(form: dict[str, str]) -> str:
    """The merchant's page for a GET redirectActionForm: all parameters in an HTML form."""
    return (
        "<!doctype html><title>Merchant</title>"
        f'<form id="f" method="GET" action="{form["redirectUrl"]}">'
        f'<input type="hidden" name="parameters" value=\'{form["parameters"]}\'>'
        '<button type="submit">Pay with Alipay</button></form>'
    )


def test_alipaycn_get_form_shows_qr_page_then_login_password_redirect(
    ams: AmsClient, browsing: Browsing, qr_decoder: Decoder
) -> None:
    request = {**seeds.ALIPAYCN_CASHIER_PAY, "paymentRequestId": new_id("ALIPAYCN")}
    request["paymentRedirectUrl"] = REDIRECT_URL
    reply = ams.call("payments/pay", request)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    form = reply.body["redirectActionForm"]
    assert form["method"] == "GET" and form["redirectUrl"].endswith("/alipaycn/pc/cashier")
    parameters = json.loads(form["parameters"])
    assert parameters["callback"] == REDIRECT_URL

    page = browsing.page()
    page.goto(f"{form['redirectUrl'].rsplit('/alipaycn', 1)[0]}/healthz")
    page.set_content(_alipaycn_form_page(form))
    page.get_by_role("button", name="Pay with Alipay").click()
    page.wait_for_url("**/alipaycn/pc/cashier?parameters=*")
    assert page.get_by_test_id("amount").inner_text() == "USD 1.00"
    shown = Image.open(io.BytesIO(page.get_by_test_id("qr").screenshot()))
    assert qr_decoder(shown) == [page.get_by_test_id("code-value").inner_text()]
    browsing.shot(page, "alipaycn-pc-qr")

    # The sandbox login on the right side of the QR page, as in the seed.
    page.get_by_label("Account").fill("alipaycn-buyer")
    page.get_by_label("Password").fill("x")
    page.get_by_role("button", name="Log in").click()
    page.get_by_test_id("confirm").click()
    page.get_by_test_id("pay-password").fill("111111")
    page.get_by_test_id("pay").click()
    page.wait_for_url(REDIRECT_URL)
    assert inquiry(ams, parameters["paymentId"])["paymentStatus"] == "SUCCESS"


def test_alipaycn_h5_form_shows_wallet_login(
    ams: AmsClient, http: httpx.Client, browsing: Browsing
) -> None:
    request = {**seeds.ALIPAYCN_CASHIER_PAY, "paymentRequestId": new_id("ALIPAYCN")}
    request["order"] = {**request["order"], "env": {"terminalType": "WAP", "osType": "IOS"}}
    reply = ams.call("payments/pay", request)
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    form = reply.body["redirectActionForm"]
    assert form["redirectUrl"].endswith("/alipaycn/h5/cashier")
    phone = browsing.phone()
    phone.goto(str(httpx.URL(form["redirectUrl"], params={"parameters": form["parameters"]})))
    assert phone.get_by_test_id("login").is_visible()
    browsing.shot(phone, "alipaycn-h5-login")
