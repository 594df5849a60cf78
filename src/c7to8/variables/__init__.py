"""Variable conversion shared by runtime and history migration (pure functions, no I/O).

Typical use::

    from c7to8.variables import C7Variable, VariableConverter, DocumentUpload

    conv = VariableConverter.from_config(config)         # or VariableConverter(VariableSettings())
    var = C7Variable(name="amount", type_name="double", double_value=1.5)
    conv.to_runtime(var)    # RuntimeValue(name='amount', value=1.5)
    conv.to_history(var)    # HistoryValue(text='1.5', columns={'TYPE': 'DOUBLE', ...})

Both raise ``c7to8.errors.SkipError(reason)``. For ``bytes``/``file`` variables they return a
``DocumentUpload``; upload it to ``POST /v2/documents`` and finish with
``conv.runtime_from_document(upload, reference)`` / ``conv.history_from_document(upload, reference)``.
See docs/variables.md for the type-by-type behaviour.
"""

from .converter import VariableConverter, document_value
from .history import variable_columns
from .interceptors import (
    VariableContext,
    VariableInterceptor,
    VariableInterceptorError,
    build_variable_interceptors,
)
from .javaser import JavaDeserializationError, decode_to_json
from .model import (
    C7Variable,
    DocumentUpload,
    HistoryValue,
    Mode,
    RuntimeValue,
    ValueType,
    VariableEntity,
    VariableSettings,
)

__all__ = [
    "C7Variable",
    "DocumentUpload",
    "HistoryValue",
    "JavaDeserializationError",
    "Mode",
    "RuntimeValue",
    "ValueType",
    "VariableContext",
    "VariableConverter",
    "VariableEntity",
    "VariableInterceptor",
    "VariableInterceptorError",
    "VariableSettings",
    "build_variable_interceptors",
    "decode_to_json",
    "document_value",
    "variable_columns",
]
