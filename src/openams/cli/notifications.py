"""``openams notifications``: the outbox, what each attempt sent, and sending again."""

from __future__ import annotations

import click

from openams.cli._common import (
    database_option,
    echo_json,
    fail,
    main,
    merchant_of,
    open_gateway,
)

json_option = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")


@main.group()
def notifications() -> None:
    """The notification outbox: what was sent, and sending again."""


@notifications.command("list")
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", default=None, show_envvar=True)
@click.option("--payment-id", envvar="OPENAMS_PAYMENT_ID", default=None, show_envvar=True)
@click.option(
    "--limit", envvar="OPENAMS_LIMIT", default=50, type=int, show_default=True, show_envvar=True
)
@json_option
def notifications_list(
    database_url: str, client_id: str | None, payment_id: str | None, limit: int, as_json: bool
) -> None:
    """Notifications, newest first, with each attempt."""
    from openams.gateway.services.notification_events import notification_summary

    gateway = open_gateway(database_url)
    if payment_id is not None and client_id is None:
        fail("--payment-id needs --client-id")
    with gateway.store() as uow:
        rows = uow.outbox.search(client_id, payment_id=payment_id, limit=limit)
        if not rows and client_id is not None and gateway.merchants.get(client_id) is None:
            fail(f"no merchant {client_id} in {gateway.settings.database_url}")
        for n in rows:
            if as_json:
                echo_json(notification_summary(n))
                continue
            click.echo(
                f"{n.notification_id} {n.notify_type.value:<15} {n.status.value:<9} "
                f"attempts={n.attempts} client={n.client_id} payment={n.payment_id} "
                f"url={n.url or '-'}"
            )
            for a in uow.outbox.attempts(n.notification_id):
                click.echo(
                    f"    #{a.attempt_number} {a.kind:<9} status={a.http_status or '-'} "
                    f"latency={a.latency_ms if a.latency_ms is not None else '-'}ms "
                    f"ack={'yes' if a.acknowledged else 'no'} {a.error or ''}".rstrip()
                )


@notifications.command("show")
@click.argument("notification_id")
@database_option
@json_option
def notifications_show(notification_id: str, database_url: str, as_json: bool) -> None:
    """A notification and every attempt: the headers and body sent, the merchant's answer."""
    from openams.gateway.services.notification_events import (
        find_notification,
        notification_detail,
        sent_body,
    )

    gateway = open_gateway(database_url)
    found = find_notification(gateway.store, notification_id)
    if found is None:
        fail(f"no notification {notification_id} in {gateway.settings.database_url}")
        return
    notification, attempts = found
    detail = notification_detail(notification, attempts)
    if as_json:
        echo_json(detail)
        return
    for key in ("notificationId", "notifyType", "clientId", "paymentId", "status", "url"):
        click.echo(f"{key:<15} {detail.get(key, '-')}")
    click.echo(f"body sent       {sent_body(notification)}")
    for attempt in detail["attemptLog"]:
        click.echo(
            f"\nattempt #{attempt['attemptNumber']} ({attempt['kind']}) at {attempt['time']}"
            f" -> HTTP {attempt['httpStatus'] or '-'} in "
            f"{attempt['latencyMs'] if attempt['latencyMs'] is not None else '-'} ms"
            f"{', acknowledged' if attempt['acknowledged'] else ''}"
        )
        if attempt["url"]:
            click.echo(f"  POST {attempt['url']}")
        for name, value in (attempt["requestHeaders"] or {}).items():
            click.echo(f"  {name}: {value}")
        if attempt["responseExcerpt"]:
            click.echo(f"  answer: {attempt['responseExcerpt']}")
        if attempt["error"]:
            click.echo(f"  error: {attempt['error']}")


@notifications.command("resend")
@click.argument("notification_id", required=False)
@database_option
@click.option("--client-id", envvar="OPENAMS_CLIENT_ID", default=None, show_envvar=True)
@click.option("--payment-id", envvar="OPENAMS_PAYMENT_ID", default=None, show_envvar=True)
@click.option(
    "--payment-request-id", envvar="OPENAMS_PAYMENT_REQUEST_ID", default=None, show_envvar=True
)
def notifications_resend(
    notification_id: str | None,
    database_url: str,
    client_id: str | None,
    payment_id: str | None,
    payment_request_id: str | None,
) -> None:
    """Queue a notification again: NOTIFICATION_ID, or a payment's latest (--client-id with
    --payment-id or --payment-request-id)."""
    from openams.gateway.domain.errors import DomainError

    gateway = open_gateway(database_url)
    if notification_id is not None:
        with gateway.store() as uow:
            original = uow.outbox.get(notification_id)
        if original is None:
            fail(f"no notification {notification_id} in {gateway.settings.database_url}")
            return
        client_id = original.client_id
    if client_id is None:
        fail("give a NOTIFICATION_ID, or --client-id with --payment-id or --payment-request-id")
        return
    merchant = merchant_of(gateway, client_id)
    try:
        body = gateway.sandbox.resend(merchant, payment_id, payment_request_id, notification_id)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    else:
        click.echo(
            f"queued {body['notificationId']} ({body['notifyType']}) "
            f"for payment {body['paymentId']}"
        )
