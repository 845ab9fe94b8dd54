"""The native bulk loader (`dolt/native/arrow_load.c`, loaded by `dolt/embedded/arrow.py`
with ctypes). Everything else about the package is in pyproject.toml. The extension is
optional: where it cannot be compiled, the install goes on and imports bind rows in Python.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dolt._arrow_load",
            sources=["dolt/native/arrow_load.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
