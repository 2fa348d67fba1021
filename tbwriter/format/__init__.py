"""The bytes on disk, shared by both directions and knowing nothing of files or users:

- :mod:`~tbwriter.format.wire`: field numbers, DataType codes, value kinds, the CRC mask (TensorBoard's protos as
  constants)
- :mod:`~tbwriter.format.record`: TFRecord framing of one record, and naming the damage of a header (finding the
  records of a file is :mod:`tbwriter.reading.index`'s)
- :mod:`~tbwriter.format.encode`: Event and Summary bytes from values (what the writer sends)
- :mod:`~tbwriter.format.decode`: one record's layout, where its values are (what the readers take apart)
- :mod:`~tbwriter.format.payloads`: a value as TensorBoard reads it (v1 kinds migrated, histograms converted)
"""
