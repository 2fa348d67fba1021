"""Public path of the CSV export (:mod:`tbwriter.tables.export`): ``from tbwriter.export import export_csv``."""
from tbwriter.tables.export import export_csv

__all__ = ["export_csv"]
