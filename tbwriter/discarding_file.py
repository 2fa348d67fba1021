"""``DiscardingEventFile``: the event file of a writer made with ``write_to_disk=False`` (tensorboardX's option).

    w = SummaryWriter("runs/dry", write_to_disk=False)   # every call is checked as usual; nothing is written

It takes events and drops them, and creates neither a file nor a directory.
"""
from __future__ import annotations

from tbwriter.eventfile import EventFile


class DiscardingEventFile(EventFile):
    """An :class:`EventFile` that writes nothing: ``DiscardingEventFile("runs/dry").append(event_bytes)``."""

    def open(self) -> None:
        self.closed = False

    def append(self, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
