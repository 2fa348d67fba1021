"""The bytes on disk, shared by both directions and knowing nothing of files or users:

- :mod:`~tbwriter.format.wire`: field numbers, DataType codes, the CRC mask (TensorBoard's protos as constants)
- :mod:`~tbwriter.format.record`: TFRecord framing of one record, and finding damage in one
- :mod:`~tbwriter.format.encode`: Event and Summary bytes from values (what the writer sends)
- :mod:`~tbwriter.format.decode`: one record's layout and values (what the readers take apart)
"""
