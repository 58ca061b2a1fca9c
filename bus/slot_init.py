"""A faster `__init__` for the frozen, slotted, keyword-only message dataclasses.

A frozen dataclass's generated `__init__` stores each field with `object.__setattr__(self,
name, value)`: a global lookup, an attribute lookup and a call that looks the name up again.
The engine builds a few of these messages per signal, so `slot_init` swaps in an `__init__`
that writes each slot through its descriptor, bound once: the same fields, defaults and
values, in the same order, still bypassing the frozen `__setattr__` (about 2.4x faster).
A class it cannot speed up without changing behaviour keeps its generated `__init__`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from types import CodeType, FunctionType
from typing import Any, TypeVar, cast

__all__ = ["builder", "slot_init"]

C = TypeVar("C", bound=type)
T = TypeVar("T")


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _speedable(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> bool:
    params = getattr(cls, "__dataclass_params__", None)
    return (
        params is not None
        and params.frozen
        and "__slots__" in vars(cls)
        and not hasattr(cls, "__post_init__")
        and all(
            f.init
            and f.kw_only
            and f.default_factory is dataclasses.MISSING
            and type(_slot(cls, f.name)).__name__ == "member_descriptor"
            for f in fields
        )
    )


def slot_init(cls: C) -> C:
    """Give the frozen slotted keyword-only dataclass `cls` a descriptor-writing `__init__`."""
    fields = dataclasses.fields(cls)
    if not _speedable(cls, fields):
        return cls
    scope: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    for f in fields:
        scope[f"_set_{f.name}"] = _slot(cls, f.name).__set__
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})")
    source = f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    exec(source, scope)  # generated from the dataclass's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]
    return cls


def builder(cls: type[T], *free: str, **fixed: Any) -> Callable[..., T]:
    """A function building `cls` from the values of the `free` fields, by position in the
    order given; the `fixed` fields take the values given here and the others their defaults.
    For a message built many times with the same identity (one machine's results): written
    like `slot_init`'s `__init__`, so values land exactly as the constructor stores them."""
    code, scope = _build_code(cast(type, cls), free, tuple(fixed))
    if code is None:
        return lambda *values: cls(**fixed, **dict(zip(free, values, strict=True)))
    values = {f"_value_{name}": value for name, value in fixed.items()}
    build: Callable[..., T] = FunctionType(code, {**scope, **values}, "build")
    build.__qualname__ = f"{cls.__qualname__}.build"
    return build


@functools.cache
def _build_code(
    cls: type, free: tuple[str, ...], fixed: tuple[str, ...]
) -> tuple[CodeType | None, dict[str, Any]]:
    """`builder`'s function body for these field names, compiled once (machines are many)."""
    fields = dataclasses.fields(cls)
    unknown = sorted((set(free) | set(fixed)) - {f.name for f in fields})
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
    unset = [
        f.name
        for f in fields
        if f.name not in free and f.name not in fixed and f.default is dataclasses.MISSING
    ]
    if unset or len(set(free)) != len(free) or set(free) & set(fixed):
        raise TypeError(f"{cls.__name__}: each field must be free, fixed or defaulted once")
    if not _speedable(cls, fields):
        return None, {}
    draft = _draft(cls, fields)
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_draft": draft}
    body = ["    self = _new(_cls if _draft is None else _draft)"]
    for f in fields:
        value = f.name if f.name in free else f"_value_{f.name}"
        if f.name not in free and f.name not in fixed:
            scope[value] = f.default
        if draft is not None:
            body.append(f"    self.{f.name} = {value}")
        else:
            scope[f"_set_{f.name}"] = _slot(cls, f.name).__set__
            body.append(f"    _set_{f.name}(self, {value})")
    if draft is not None:
        body.append("    self.__class__ = _cls")
    source = f"def build({', '.join(free)}):\n" + "\n".join([*body, "    return self"])
    compiled: dict[str, Any] = {}
    exec(source, dict(scope), compiled)  # generated from the dataclass's own field names
    return compiled["build"].__code__, scope


def _draft(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> type | None:
    """A mutable twin of `cls` (its bases and slots, without the frozen `__setattr__`) whose
    instances are filled by plain slot writes, then turned into `cls` by `__class__`
    assignment, which CPython allows between classes of the same layout; None when `cls`
    has none (a frozen base, slots inherited)."""
    slots = vars(cls).get("__slots__", ())
    if {f.name for f in fields} != set(slots):
        return None
    draft = type(f"{cls.__name__}Draft", cls.__bases__, {"__slots__": tuple(slots)})
    if draft.__setattr__ is not object.__setattr__:  # type: ignore[comparison-overlap]
        return None
    probe: Any = object.__new__(draft)
    try:
        probe.__class__ = cls
    except TypeError:
        return None
    return draft
