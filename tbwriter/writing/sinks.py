"""Where a writer's encoded events go when they go nowhere: the stand-in of an
:class:`~tbwriter.writing.eventfile.EventFile` on a rank that does not write.

    sink = Discarded()
    sink.append(b"...")   # dropped; no file is created
"""
from __future__ import annotations


class Discarded:
    """The EventFile of a rank that does not write: takes the encoded events and drops them, creates nothing."""

    path = None

    def append(self, data: bytes) -> None:
        pass

    def append_deferred(self, item: object) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def close_or_report(self) -> None:
        pass

    def discard(self) -> None:
        pass
