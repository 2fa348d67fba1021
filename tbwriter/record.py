"""Public path of the record framing and of the damage a read reports (they live in :mod:`tbwriter.format.record`,
:mod:`tbwriter.reading.records` and :mod:`tbwriter.errors`).

    from tbwriter.record import DamagedRecordWarning, Problem
"""
from tbwriter.errors import Damage, DamagedRecordWarning, Problem, RecordError
from tbwriter.format.record import frame
from tbwriter.reading.records import iter_records

__all__ = ["Damage", "DamagedRecordWarning", "Problem", "RecordError", "frame", "iter_records"]
