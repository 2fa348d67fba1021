"""One module per summary kind: pure functions from data to serialized ``Summary.Value`` bytes.

Nothing here knows about files; the writer wraps the bytes in an Event and hands them on.
"""
