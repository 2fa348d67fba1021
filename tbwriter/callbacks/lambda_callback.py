"""``LambdaCallback``: a callback from plain functions.

    LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]),
                   on_train_end=lambda logs: print("done"))

Epoch hooks get ``(epoch, logs)``, train hooks ``(logs)``, batch hooks ``(batch, logs)``; any other
``on_*`` hook can be given by keyword too.
"""
from __future__ import annotations

from collections.abc import Callable

from tbwriter.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Calls the functions it is given; see the module docstring for a call.

    Args:
        on_epoch_begin: ``f(epoch, logs)``.
        on_epoch_end: ``f(epoch, logs)``.
        on_train_begin: ``f(logs)``.
        on_train_end: ``f(logs)``.
        on_train_batch_begin: ``f(batch, logs)``.
        on_train_batch_end: ``f(batch, logs)``.
        **kwargs: any other hook by its name (``on_test_end=f``), as in Keras.
    """

    def __init__(self, on_epoch_begin: Callable | None = None, on_epoch_end: Callable | None = None,
                 on_train_begin: Callable | None = None, on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None, on_train_batch_end: Callable | None = None,
                 **kwargs: Callable) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin, "on_train_batch_end": on_train_batch_end}
        for name, hook in hooks.items():
            if hook is not None:
                setattr(self, name, hook)
