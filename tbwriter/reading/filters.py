"""Which runs or tags a read keeps: a name filter, compiled once.

    tags = TagFilter("^loss$|acc")        # a regular expression, a compiled one, or a list of them
    tags.wants("val/accuracy")            # True: "acc" is found in it
    TagFilter(None).wants("anything")     # True: no pattern keeps every name

The readers (:mod:`tbwriter.reading.reader`, :class:`~tbwriter.reading.follow.Follower`) build one per call from
their ``runs`` and ``tags`` arguments and hand :attr:`TagFilter.test` to the decoders, which skip the check
altogether when it is None (no filter: the common case, on the hot path).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

Pattern = str | re.Pattern[str]


class TagFilter:
    """The names in which a regular expression is found (``re.search``), or any of several when given a list;
    None, ``""`` or an empty list keeps every name. A bad pattern raises ``re.error`` here, once.

        TagFilter(["^loss$", re.compile("^val/")]).wants("val/acc")   # True
    """

    __slots__ = ("patterns", "test")

    def __init__(self, patterns: Pattern | Sequence[Pattern] | None = None) -> None:
        if patterns is None or isinstance(patterns, (str, re.Pattern)):
            patterns = [patterns] if patterns else []
        self.patterns: list[re.Pattern[str]] = [re.compile(p) for p in patterns]  # a compiled one is kept as is
        self.test: Callable[[str], bool] | None = None
        """``wants`` for the decoders, or None when every name is kept (they then call nothing)."""
        if len(self.patterns) == 1:
            search = self.patterns[0].search
            self.test = lambda name: search(name) is not None
        elif self.patterns:
            searches = [p.search for p in self.patterns]
            self.test = lambda name: any(search(name) is not None for search in searches)

    def wants(self, name: str) -> bool:
        """Whether the filter keeps ``name``: ``TagFilter("loss").wants("val/loss")`` is True."""
        return self.test is None or self.test(name)

    def __repr__(self) -> str:
        return f"TagFilter({[p.pattern for p in self.patterns]!r})"
