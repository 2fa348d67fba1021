"""What the callbacks need from a model and an optimizer, for Keras, torch and plain objects.

Nothing here imports torch or keras: objects are recognised by what they have.

- weights: Keras (and any object with ``get_weights``/``set_weights``) → those methods;
  torch ``nn.Module`` → a deep copy of ``state_dict()``, restored with ``load_state_dict``.
- learning rate: torch optimizer → ``param_groups[*]["lr"]``; Keras optimizer (and any object) →
  its ``learning_rate`` attribute (``lr`` also read).
- saving: Keras → ``save``/``save_weights``; torch → ``torch.save(state_dict, path)``;
  anything else → its own ``save(path)`` (``save_weights(path)`` for weights only).

A plain loop hands its hooks over with :class:`LoopModel`::

    def restore(saved):
        w[:] = saved
    model = LoopModel(get_weights=w.copy, set_weights=restore, save=lambda path: np.save(path, w))
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any


class LoopModel:
    """The model of a loop without one: carries ``stop_training`` and your optional hooks.

        LoopModel()                                         # just the stop flag
        LoopModel(get_weights=get, set_weights=put, save=save_to_path)

    Args:
        get_weights: returns a snapshot of the weights that later training cannot change
            (``EarlyStopping(restore_best_weights=True)``).
        set_weights: puts such a snapshot back.
        save: ``save(path)`` writes the model (``ModelCheckpoint``; also used for weights only).
    """

    def __init__(self, get_weights: Callable[[], object] | None = None,
                 set_weights: Callable[[object], None] | None = None,
                 save: Callable[[str], None] | None = None):
        self.stop_training = False
        self._get, self._set, self._save = get_weights, set_weights, save

    def get_weights(self) -> object:
        """Calls the ``get_weights`` hook; a TypeError when none was given."""
        return self._need(self._get, "get_weights")()

    def set_weights(self, weights: object) -> None:
        """Calls the ``set_weights`` hook with a snapshot ``get_weights`` returned."""
        self._need(self._set, "set_weights")(weights)

    def save(self, filepath: str) -> None:
        """Calls the ``save`` hook (for ``ModelCheckpoint``, also with ``save_weights_only``)."""
        self._need(self._save, "save")(filepath)

    save_weights = save

    @staticmethod
    def _need(hook, name: str):
        if hook is None:
            raise TypeError(f"LoopModel.{name}: no {name} hook was given; pass a Keras model, a torch module, "
                            f"or LoopModel({name}=...) as CallbackList(model=...)")
        return hook


def is_torch_module(model: object) -> bool:
    return hasattr(model, "state_dict") and hasattr(model, "load_state_dict") and not hasattr(model, "get_weights")


def get_weights(model: Any, who: str = "get_weights") -> object:
    """A snapshot that later training cannot change: ``set_weights(model, get_weights(model))`` restores it."""
    if hasattr(model, "get_weights"):
        return model.get_weights()
    if is_torch_module(model):
        return copy.deepcopy(model.state_dict())  # state_dict() shares storage with the live parameters
    raise TypeError(f"{who}: cannot read the weights of {type(model).__name__}: give a Keras model, a torch module, "
                    "an object with get_weights()/set_weights(), or LoopModel(get_weights=..., set_weights=...)")


def set_weights(model: Any, weights: object) -> None:
    if hasattr(model, "set_weights"):
        model.set_weights(weights)
    elif is_torch_module(model):
        model.load_state_dict(weights)
    else:
        raise TypeError(f"cannot set the weights of {type(model).__name__}: it has no set_weights()")


def named_weights(model: object) -> Iterator[tuple[str, object]]:
    """(name, array) of every weight: Keras weight paths (``dense/kernel``), torch ``named_parameters``."""
    if hasattr(model, "weights") and hasattr(model, "get_weights"):
        for w in model.weights:
            yield w.path.replace(":", "_"), _to_numpy(w)
    elif hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            yield name, _to_numpy(p)


def _to_numpy(value: Any) -> Any:
    from tbwriter.writing.arrays import to_numpy  # numpy stays out of `import tbwriter.callbacks`

    if hasattr(value, "path") and hasattr(value, "value"):  # a Keras variable: read its backend tensor
        return _to_numpy(value.value)
    if hasattr(value, "numpy") and not hasattr(value, "detach"):  # a TensorFlow tensor
        return value.numpy()
    return to_numpy(value)


def number(value: object) -> float:
    """A Python float from a number, a 0-d array, a torch tensor or a Keras variable."""
    if isinstance(value, (int, float)):
        return float(value)
    return float(_to_numpy(value))


def get_lr(optimizer: object, who: str = "learning rate") -> float:
    """The current learning rate: torch ``param_groups[0]["lr"]``, else ``optimizer.learning_rate``."""
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return number(groups[0]["lr"])
    for name in ("learning_rate", "lr"):
        if hasattr(optimizer, name):
            return number(getattr(optimizer, name))
    raise TypeError(f"{who}: cannot read a learning rate from {type(optimizer).__name__}: pass optimizer= a torch "
                    "or Keras optimizer, or an object with a learning_rate attribute, to CallbackList")


def has_lr(optimizer: object) -> bool:
    return bool(getattr(optimizer, "param_groups", None)) or hasattr(optimizer, "learning_rate") \
        or hasattr(optimizer, "lr")


def set_lr(optimizer: object, lr: float, who: str = "learning rate") -> None:
    """Set the learning rate: every torch param group, else ``optimizer.learning_rate`` (or ``lr``)."""
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        for group in groups:
            group["lr"] = lr
        return
    for name in ("learning_rate", "lr"):
        if hasattr(optimizer, name):
            setattr(optimizer, name, lr)
            return
    get_lr(optimizer, who)  # raises the explanatory error


def save(model: Any, filepath: str, weights_only: bool, who: str = "save") -> None:
    """Save ``model`` the way its library does (see the module docstring)."""
    if is_torch_module(model):
        import torch  # the model comes from torch, so torch is already imported
        torch.save(model.state_dict(), filepath)
        return
    method = getattr(model, "save_weights" if weights_only else "save", None) or getattr(model, "save", None)
    if method is None:
        raise TypeError(f"{who}: cannot save {type(model).__name__}: give a Keras model, a torch module, an object "
                        "with save(path), or LoopModel(save=...)")
    method(filepath)  # Keras overwrites by default
