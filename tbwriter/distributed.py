"""Public path of the rank detection (:mod:`tbwriter.writing.distributed`): ``tbwriter.distributed.detect()``."""
from tbwriter.writing.distributed import Ranks, detect

__all__ = ["Ranks", "detect"]
