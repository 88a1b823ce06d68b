"""The per-call log lines are written per batch: one write when the recorder flushes."""

from __future__ import annotations

import io
import logging

import pytest

from openams.cli import line_batches
from openams.cli.line_batches import LineBatchHandler


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("tests.line_batches")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_lines_wait_for_the_flush_and_go_out_in_one_write() -> None:
    stream = CountingStream()
    handler = LineBatchHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = _logger(handler)
    for number in range(3):
        logger.info("call %d", number)
    assert stream.getvalue() == ""
    handler.flush()
    assert stream.getvalue() == "INFO call 0\nINFO call 1\nINFO call 2\n"
    assert stream.writes == 1


def test_a_batch_too_long_to_keep_is_written_without_a_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(line_batches, "MAX_PENDING", 2)
    stream = CountingStream()
    logger = _logger(LineBatchHandler(stream))
    for number in range(5):
        logger.info("call %d", number)
    assert stream.getvalue() == "call 0\ncall 1\ncall 2\ncall 3\n"
    assert stream.writes == 2


def test_the_serve_command_sends_the_call_lines_to_a_batch_handler() -> None:
    from openams.cli._common import log_config
    from openams.gateway.web.api.recorder import CALLS_LOGGER

    config = log_config()
    handlers = config["loggers"][CALLS_LOGGER]["handlers"]
    assert [config["handlers"][name]["class"] for name in handlers] == [
        "openams.cli.line_batches.LineBatchHandler"
    ]


def test_the_recorder_writes_its_lines_out_after_each_batch() -> None:
    from openams.gateway.domain.request_log import Exchange
    from openams.gateway.web.api.recorder import CALLS_LOGGER, RequestRecorder

    stream = CountingStream()
    calls = logging.getLogger(CALLS_LOGGER)
    kept = calls.handlers[:], calls.propagate, calls.level
    calls.handlers[:] = [LineBatchHandler(stream)]
    # setLevel, not the attribute: it also clears the loggers' cached isEnabledFor
    # answers (one an earlier test left for this logger at WARNING would drop the lines)
    calls.propagate = False
    calls.setLevel(logging.INFO)
    recorder = RequestRecorder(None)
    try:
        for number in range(2):
            recorder.record(
                Exchange(
                    received_at=0,
                    path="/ams/api/v1/payments/inquiryPayment",
                    headers=[(b"client-id", b"SANDBOX_LINES")],
                    request_body=b"{}",
                    http_status=200,
                    response_headers={},
                    response_body=b'{"result":{"resultStatus":"S","resultCode":"SUCCESS"}}',
                    latency_us=1000 + number,
                )
            )
        recorder.flush()  # what the writer thread does every quarter of a second
        lines = stream.getvalue().splitlines()
    finally:
        recorder.close()
        calls.handlers[:], calls.propagate = kept[0], kept[1]
        calls.setLevel(kept[2])
    assert (
        lines == ["/ams/api/v1/payments/inquiryPayment client=SANDBOX_LINES S SUCCESS 1.0 ms"] * 2
    )
    assert stream.writes == 1


@pytest.mark.parametrize("use_colors", [False, True])
def test_a_call_line_reads_as_uvicorns_default_format_does(use_colors: bool) -> None:
    from uvicorn.logging import DefaultFormatter

    from openams.cli.line_batches import CallLineFormatter

    fmt = "%(levelprefix)s %(message)s"
    ours, uvicorns = (
        kind(fmt, use_colors=use_colors) for kind in (CallLineFormatter, DefaultFormatter)
    )
    for level in (logging.INFO, logging.WARNING, logging.ERROR):
        arguments = ("/ams/api/v1/payments/pay", "SANDBOX_X", 1.25)
        made = [
            logging.LogRecord("calls", level, __file__, 1, "%s client=%s %.1f ms", arguments, None)
            for _ in range(2)
        ]
        assert ours.format(made[0]) == uvicorns.format(made[1])


def test_the_serve_command_formats_the_call_lines_without_copying_records() -> None:
    from openams.cli._common import log_config
    from openams.gateway.web.api.recorder import CALLS_LOGGER

    config = log_config()
    (handler,) = config["loggers"][CALLS_LOGGER]["handlers"]
    formatter = config["formatters"][config["handlers"][handler]["formatter"]]
    assert formatter["()"] == "openams.cli.line_batches.CallLineFormatter"
    assert formatter["fmt"] == config["formatters"]["default"]["fmt"]
