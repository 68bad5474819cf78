"""The fast path for ``createSignals`` documents with inline literals (graphql-core, sped up).

graphql-core's pure-Python lexer needs ~0.4 ms per signal for the documented inline shape, ten
times too slow for the sandbox's throughput target. The fast path splits such a document in
two and gives each part to the fastest exact parser:

1. The *skeleton* - the document with the signals list emptied
   (``mutation { createSignals(signals: []) { signalIds } }``) - is parsed and validated against
   the schema by graphql-core and executed by graphql-core; parsed skeletons are cached (they
   repeat, unlike the signals).
2. The list's *contents* are GraphQL value literals in a subset whose meaning equals JSON's:
   strings with the escapes both share, numbers, ``true``/``false``/``null``, objects with
   name keys, lists. A few C-level passes (regular expressions with literal replacements, str
   methods) turn them into JSON - quote the keys, write GraphQL's insignificant separators as
   JSON's commas - and orjson decodes that.

Whenever the document leaves the subset (block strings, ``\\u{...}`` escapes, comments, variables,
enum values, duplicate keys, huge integers, anything unexpected) or the JSON does not decode,
:func:`split_create_signals` returns None and the caller uses graphql-core for the whole
document, so every answer - values and errors - is the one graphql-core gives. The unit tests
check the equivalence on generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, Final

import orjson
from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    validate,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    parse,
)

__all__ = ["FastDocument", "input_checker", "make_splitter", "parse_literal_list"]

# A GraphQL string whose meaning is the same JSON string: no raw control characters (JSON
# forbids them) or surrogates, only the escapes both languages share. ``\uXXXX`` means the same
# in both, surrogate pairs included; a lone surrogate escape fails both (orjson: fall back).
# GraphQL's ``\u{...}`` form is not JSON: not matched, so the document falls back.
_STRING: Final = re.compile(
    r'("[^"\\\x00-\x1f\ud800-\udfff]*'
    r'(?:\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})[^"\\\x00-\x1f\ud800-\udfff]*)*")'
)
# What may remain outside strings (\x01 stands for a string): ASCII punctuation, names, numbers.
_STRUCTURE: Final = re.compile(r"[ \t\n\r,{}\[\]:A-Za-z0-9_.+\-\x01]*")
# Object keys in the compact form (no separator before a colon): a quote goes after the "{" or
# "," before the name, another before the colon. Literal replacements keep the work in C.
_KEY_AFTER_BRACE: Final = re.compile(r"\{(?=[A-Za-z_][A-Za-z0-9_]*:)")
_KEY_AFTER_COMMA: Final = re.compile(r",(?=[A-Za-z_][A-Za-z0-9_]*:)")
_SEPARATORS: Final = re.compile(r"[ \t\n\r,]+")
# After turning every run of GraphQL separators into one comma, the commas JSON does not allow
# (next to a bracket or a colon) are dropped; such separators never split a token.
_NEEDLESS_COMMAS: Final = (
    (",:", ":"),
    (":,", ":"),
    ("{,", "{"),
    ("[,", "["),
    (",}", "}"),
    (",]", "]"),
)
_ZEROS: Final = bytes.maketrans(b"123456789", b"000000000")
_LONG_INTEGER: Final = b"0" * 19  # orjson reads integers of 19+ digits as floats
_NESTED: Final = (dict, list)


def _count_keys(values: list[Any]) -> int:
    """Keys of every object in ``values`` (nested ones included)."""
    total = 0
    stack: list[Any] = [values]
    pop, push = stack.pop, stack.append
    nested = _NESTED
    while stack:
        value = pop()
        if type(value) is dict:
            total += len(value)
            value = value.values()
        for item in value:
            if type(item) in nested:
                push(item)
    return total


def _decode(structure: str, strings: list[str]) -> list[Any] | None:
    """Decode a compact structure (nothing between a key and its colon) with its strings.

    ``strings`` are the string literals' contents without their quotes. Every colon must
    follow a key that directly follows "{" or ",": the counts agree only then.
    """
    if "\x01:" in structure:
        return None  # a string as an object key
    keys = structure.count(":")
    structure, after_brace = _KEY_AFTER_BRACE.subn('{"', structure)
    structure, after_comma = _KEY_AFTER_COMMA.subn(',"', structure)
    if after_brace + after_comma != keys:
        return None  # a separator before a colon, or a colon after something else
    pieces = structure.replace(":", '":').split("\x01")
    joined = '"'.join([*chain.from_iterable(zip(pieces, strings, strict=False)), pieces[-1]])
    try:
        values = orjson.loads("[" + joined + "]")
    except orjson.JSONDecodeError:
        return None
    if _count_keys(values) != keys:
        return None  # a duplicate key: GraphQL rejects it, orjson keeps the last one
    result: list[Any] = values
    return result


def parse_literal_list(text: str) -> list[Any] | None:
    """The values of the GraphQL list literal contents ``text``; None when not in the subset.

    First as it is (GraphQL written with JSON's commas, like the consumer's encoder: a text that
    is valid JSON once its keys are quoted means the same in both languages), else with each
    run of GraphQL's separators (whitespace, commas) written as one JSON comma. Tokens GraphQL
    separates without a separator (``1"a"``, ``}{``) make orjson fail: the slow path reads them.
    """
    if '"""' in text:
        return None  # block strings
    if "\\" in text:
        parts = _STRING.split(text)
        strings = [quoted[1:-1] for quoted in parts[1::2]]
    else:  # no escapes: every other quote opens a string (raw control characters fail orjson)
        parts = text.split('"')
        if len(parts) % 2 == 0:
            return None  # an unterminated string
        strings = parts[1::2]
    structure = "\x01".join(parts[0::2])
    if structure.count("\x01") != len(strings) or _STRUCTURE.fullmatch(structure) is None:
        return None
    if _LONG_INTEGER in structure.encode("ascii").translate(_ZEROS):
        return None
    values = None
    if " " not in structure and "\n" not in structure:
        values = _decode(structure, strings)
    if values is None:  # GraphQL's separators: one comma each, where JSON allows one
        commas = _SEPARATORS.sub(",", structure)
        for needless, kept in _NEEDLESS_COMMAS:
            commas = commas.replace(needless, kept)
        values = _decode(commas.strip(","), strings)
    return values


_Check = Callable[[Any], bool]
_MAX_INT: Final = 2**31 - 1
_SCALARS: Final[dict[str, _Check]] = {
    GraphQLString.name: lambda v: type(v) is str,
    GraphQLBoolean.name: lambda v: type(v) is bool,
    GraphQLInt.name: lambda v: type(v) is int and -_MAX_INT - 1 <= v <= _MAX_INT,
    GraphQLFloat.name: lambda v: type(v) is int or type(v) is float,
    GraphQLID.name: lambda v: type(v) is str or type(v) is int,
}


def input_checker(input_type: GraphQLInputType, json_scalars: frozenset[str]) -> _Check:
    """Whether a decoded literal coerces to ``input_type`` exactly as graphql-core would.

    Only literal shapes the fast path produces are considered (no variables, no enums);
    ``json_scalars`` name the scalars that accept any value. False means "let graphql-core
    decide" (it may accept - a single value for a list type - or report the error).
    """
    if isinstance(input_type, GraphQLNonNull):
        inner = input_checker(input_type.of_type, json_scalars)
        return lambda v: v is not None and inner(v)
    if isinstance(input_type, GraphQLList):
        item = input_checker(input_type.of_type, json_scalars)
        return lambda v: v is None or (type(v) is list and all(item(x) for x in v))
    if isinstance(input_type, GraphQLScalarType):
        if input_type.name in json_scalars:
            return lambda v: True
        scalar = _SCALARS.get(input_type.name)
        if scalar is None:
            return lambda v: False
        return lambda v: v is None or scalar(v)
    if isinstance(input_type, GraphQLInputObjectType):
        fields = {
            name: input_checker(field.type, json_scalars)
            for name, field in input_type.fields.items()
        }
        required = frozenset(
            name
            for name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        )

        def check_object(value: Any) -> bool:
            if value is None:
                return True
            if type(value) is not dict or not required.issubset(value):
                return False
            for key, item in value.items():
                check = fields.get(key)
                if check is None or not check(item):
                    return False
            return True

        return check_object
    return lambda v: False  # enums and anything else: graphql-core decides


@dataclass(frozen=True, slots=True)
class FastDocument:
    """A ``createSignals`` document split by the fast path."""

    skeleton: DocumentNode  # parsed and validated; its signals list is empty
    signals: list[Any]  # the decoded list items
    #: The selection is exactly ``createSignals(...) { signalIds }`` (no alias, no directive,
    #: no other field): the answer is ``{"createSignals": {"signalIds": [...]}}``.
    plain: bool = False
    #: ``{"line": ..., "column": ...}`` of the createSignals field (it lies before the list, so
    #: the skeleton's position is the document's).
    location: dict[str, int] | None = None


def _plain(field: FieldNode) -> bool:
    selections = field.selection_set.selections if field.selection_set else ()
    if field.alias is not None or len(selections) != 1:
        return False
    only = selections[0]
    return (
        isinstance(only, FieldNode)
        and only.name.value == "signalIds"
        and only.alias is None
        and not only.directives
    )


_Checked = tuple[DocumentNode, bool, dict[str, int] | None]


def _skeleton_checker(schema: GraphQLSchema) -> Callable[[str], _Checked | None]:
    @lru_cache(maxsize=256)
    def check(skeleton: str) -> _Checked | None:
        try:
            document = parse(skeleton)
        except Exception:
            return None
        if validate(schema, document):
            return None
        if len(document.definitions) != 1:
            return None
        operation = document.definitions[0]
        if (
            not isinstance(operation, OperationDefinitionNode)
            or operation.operation is not OperationType.MUTATION
            or operation.variable_definitions
            or operation.directives
            or len(operation.selection_set.selections) != 1
        ):
            return None
        field = operation.selection_set.selections[0]
        if (
            not isinstance(field, FieldNode)
            or field.name.value != "createSignals"
            or field.directives
            or not field.arguments
            or len(field.arguments) != 1
            or field.arguments[0].name.value != "signals"
        ):
            return None
        value = field.arguments[0].value
        if not isinstance(value, ListValueNode) or value.values:
            return None
        location = None
        if field.loc is not None:
            where = field.loc.source.get_location(field.loc.start)
            location = {"line": where.line, "column": where.column}
        return document, _plain(field), location

    return check


def make_splitter(
    schema: GraphQLSchema, json_scalars: frozenset[str] = frozenset({"JSON"})
) -> Callable[[str], FastDocument | None]:
    """A function that splits a ``createSignals`` document, or returns None (use the slow path)."""
    check = _skeleton_checker(schema)
    mutation = schema.mutation_type
    assert isinstance(mutation, GraphQLObjectType)
    signals_type = mutation.fields["createSignals"].args["signals"].type
    assert isinstance(signals_type, GraphQLNonNull)
    assert isinstance(signals_type.of_type, GraphQLList)
    item_ok = input_checker(signals_type.of_type.of_type, json_scalars)

    def split_create_signals(query: str) -> FastDocument | None:
        start = query.find("[")
        end = query.rfind("]")
        if start < 0 or end < start:
            return None
        prefix, suffix = query[: start + 1], query[end:]
        if any(c in prefix for c in '"#]') or any(c in suffix for c in '"#['):
            return None
        checked = check(prefix + suffix)
        if checked is None:
            return None
        signals = parse_literal_list(query[start + 1 : end])
        if signals is None or not all(item_ok(item) for item in signals):
            return None  # graphql-core reports what does not coerce
        return FastDocument(checked[0], signals, checked[1], checked[2])

    return split_create_signals
