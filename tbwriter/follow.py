"""Public path of :class:`~tbwriter.reading.follow.Follower`: ``from tbwriter.follow import Follower``."""
from tbwriter.reading.follow import Follower

__all__ = ["Follower"]
