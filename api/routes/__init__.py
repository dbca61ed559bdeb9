"""Every router module in this package that exposes `router` is mounted by `include_all`."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI


def include_all(app: FastAPI) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
