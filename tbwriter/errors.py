"""Every exception and warning tbwriter raises or emits, in one hierarchy under :class:`TbwriterException`.

    from tbwriter.errors import TbwriterException
    try:
        read_scalars("s3://bucket/runs")
    except TbwriterException as e:   # anything of ours; e is also the built-in it always was (OSError here)
        print(e)

Each class keeps the built-in ancestry its errors always had (``ValueError``, ``TypeError``, ``OSError``,
``UserWarning``), so code that catches those keeps working; the common base lets a caller catch ours alone.

    TbwriterException
    ├── ArgumentError (ValueError)        an argument's value is refused: says which argument and why
    ├── ArgumentTypeError (TypeError)     an argument is of a type that cannot be used
    ├── StorageError (OSError)            a put, list or read in object storage failed; names the URL
    ├── RecordError (ValueError)          a damaged or torn record; names the file and byte offset
    ├── DecodeError (ValueError)          the bytes of a record are not a well-formed Event
    │   └── BadValue                      a value does not hold what its kind says
    ├── NothingToPlot (ValueError)        a figure would be empty
    ├── CommandError                      a ``tbwriter`` command fails; printed as one line
    └── TbwriterWarning (UserWarning)
        ├── DamagedRecordWarning          a read skipped or stopped at damage (the message says where)
        ├── PlotNote                      something a figure leaves out
        └── WriterWarning (RuntimeWarning) a writer kept going past something worth knowing
"""
from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class TbwriterException(Exception):
    """The base of every exception and warning of tbwriter."""


class _ArgumentProblem(TbwriterException):
    """What the argument errors share: the argument's name and the reason, and the call they came through."""

    def __init__(self, argument: str, reason: str, call: str = "", *, sentence: bool = False):
        """``sentence=True``: ``reason`` is the whole sentence, naming the argument where it reads best
        (``ArgumentError("labels", "2 labels for 3 boxes", sentence=True)``)."""
        self.argument, self.reason, self.call, self.sentence = argument, reason, call, sentence
        said = reason if sentence else f"{argument} {reason}"
        super().__init__(f"{call}: {said}" if call else said)

    def in_call(self, call: str) -> _ArgumentProblem:
        """The same error, named after the public call it came through (kept if one was named already)."""
        return self if self.call else type(self)(self.argument, self.reason, call, sentence=self.sentence)


class ArgumentError(_ArgumentProblem, ValueError):
    """An argument's value is refused: ``ArgumentError("global_step", "must be an integer, got 1.5")``.

    Lower layers know the argument, not the public method the user called: that method adds its own name once
    (``in_call``), so the message reads ``add_scalar(tag='loss'): global_step must be an integer, got 1.5``.
    """


class ArgumentTypeError(_ArgumentProblem, TypeError):
    """An argument is of a type that cannot be used: ``ArgumentTypeError("tag", "must be a str, got int")``."""


class StorageError(TbwriterException, OSError):
    """A put, list or read in object storage failed: ``str(e)`` and ``e.filename`` name the URL."""

    def __init__(self, message: str, url: str):
        super().__init__(message)
        self.filename = url

    def __str__(self) -> str:
        return self.args[0]


class Problem(Enum):
    """What is wrong with a record (or with a file, which then has no offset)."""
    TORN_HEADER = "torn record header"
    LENGTH_CHECKSUM = "length checksum mismatch"
    TORN_RECORD = "torn record"
    DATA_CHECKSUM = "data checksum mismatch"
    MALFORMED_EVENT = "malformed event (checksums hold, protobuf does not parse)"
    UNREADABLE_VALUE = "value that cannot be read as its kind, skipped"
    NOT_A_FILE = "not a regular file, skipped"
    UNREADABLE_FILE = "cannot be read, skipped"


class Damage(NamedTuple):
    """A problem found at some byte offset, and its particulars (``"5 of 12 bytes"``)."""
    offset: int
    problem: Problem
    detail: str = ""


class RecordError(TbwriterException, ValueError):
    """A damaged or torn record, with the file and byte offset where it starts (None for a whole file).

        RecordError("run/events.out.tfevents.1.h", 21, Problem.DATA_CHECKSUM).problem is Problem.DATA_CHECKSUM
    """

    def __init__(self, path: str, offset: int | None, problem: Problem, detail: str = ""):
        what = f"{problem.value} ({detail})" if detail else problem.value
        super().__init__(f"{path}: {what}" + ("" if offset is None else f" at byte offset {offset}"))
        self.path = path
        self.offset = offset
        self.problem = problem
        self.detail = detail


class DecodeError(TbwriterException, ValueError):
    """The bytes are not a well-formed Event."""


class BadValue(DecodeError):
    """A value of a well-formed Event does not hold what its kind says (a histogram of mismatched sizes...)."""


class NothingToPlot(TbwriterException, ValueError):
    """The selection is empty, names an unknown tag, or holds no drawable point: no figure rather than a blank one."""


class CommandError(TbwriterException):
    """A failure to report as one line: ``raise CommandError("no event files under runs/")``."""


class TbwriterWarning(TbwriterException, UserWarning):
    """The base of tbwriter's warnings: ``warnings.simplefilter("ignore", TbwriterWarning)`` silences them all."""


class DamagedRecordWarning(TbwriterWarning):
    """Emitted when reading skips a damaged value or stops early at a damaged or torn record."""


class PlotNote(TbwriterWarning):
    """Something the picture leaves out (points skipped, steps thinned): the CLI prints it on stderr."""


class WriterWarning(TbwriterWarning, RuntimeWarning):
    """A writer kept going past something worth knowing: another process writing the same run, clipped audio."""
