"""jihua: Chinese plan documents -> structured JSON.

The stages, in the order the data flows: ingest -> clean -> normalize -> split ->
outline -> assemble. ``extract_file`` and ``extract_text`` run them all.
"""

from .assemble import extract_file, extract_text, iter_file, iter_records

__version__ = "0.1.0"
__all__ = ["extract_file", "extract_text", "iter_file", "iter_records"]
