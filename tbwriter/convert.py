"""Public path of the CSV converters (:mod:`tbwriter.tables.convert`): ``from tbwriter.convert import convert_csv``."""
from tbwriter.tables.convert import ConvertReport, convert_csv, convert_csvs

__all__ = ["ConvertReport", "convert_csv", "convert_csvs"]
