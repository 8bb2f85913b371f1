"""Where jamfor's log lines go: into the Prefect flow run's logs, and for the CLI not onto the terminal.

jamfor logs under the `jamfor` logger (jamfor.kolada, jamfor.http, jamfor.load, ...). A flow module
calls `route_to_flow_runs()` at import, so a run started by `jamfor serve`, a worker or the CLI sends
jamfor's INFO lines to its flow run's logs in the Prefect UI, whatever PREFECT_LOGGING_EXTRA_LOGGERS
says. The CLI then calls `quiet_terminal()`: its terminal shows the command's own output and jamfor's
warnings, not Prefect's INFO lines or its tracebacks (a failed run's traceback is in the run log).
"""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler, PrefectConsoleHandler

LOGGER_NAME = "jamfor"


class FlowRunLogHandler(APILogHandler):
    """Prefect's API log handler, for records made inside a flow or task run only.

    Other records (the CLI outside a run, a fetch worker thread that has no run context) are left to
    the other handlers, instead of Prefect warning that they have no flow run to go to.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Send the record to the current run's logs, if there is a current run."""
        if getattr(record, "flow_run_id", None) or FlowRunContext.get() or TaskRunContext.get():
            super().emit(record)


def route_to_flow_runs() -> None:
    """Send jamfor's INFO lines and above to the current flow run's logs (idempotent)."""
    logger = logging.getLogger(LOGGER_NAME)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if not any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        logger.addHandler(FlowRunLogHandler())


def _jamfor_warning(record: logging.LogRecord) -> bool:
    return record.name.startswith(LOGGER_NAME) and record.levelno >= logging.WARNING


def quiet_terminal() -> None:
    """Let Prefect's console handler print only jamfor's warnings (the CLI's terminal).

    Prefect's own INFO lines and the ERROR records that carry a failed run's traceback still reach
    the flow run's logs; the CLI prints the one-line reason itself.
    """
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and _jamfor_warning not in handler.filters:
            handler.addFilter(_jamfor_warning)
