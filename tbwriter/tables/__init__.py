"""Tables in and out: CSV files turned into runs (:mod:`~tbwriter.tables.convert`) and scalars written as CSV
(:mod:`~tbwriter.tables.export`)."""
