"""Query cost: an upper bound of the fields an operation can return, checked before execution.

Each selected field costs the number of times it can be resolved: the product of the sizes of
the lists above it. A connection's `edges` list is as long as the connection's `first` argument
(its schema default when omitted), and any other list counts `ASSUMED_LIST_SIZE` items. Every
alias, fragment spread and inline fragment is counted, so none of them can hide cost. Fields
that execution merges (one response key selected twice) and fields under `@skip` or `@include`
are counted in full, so the bound can exceed what the operation returns.
"""

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableValues,
    get_argument_values,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    get_variable_values,
    is_composite_type,
)
from strawberry.extensions import SchemaExtension

from resolvers.access_tokens import MAX_ACCESS_TOKENS_PER_USER
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from resolvers.sign_in import MAX_ACTIVE_SESSIONS_PER_USER

# Plain lists (`roles`, `tags`, `shares`, `owners`, `errors`) have no `first` to read. They
# contain a few items per parent, and only administrators and owners add to them, so the size 10
# is an estimate above typical sizes.
# NOTE: a user with more than 10 roles or tags can return more than the computed bound.
ASSUMED_LIST_SIZE = 10
# Lists a user can grow on their own are capped by the use cases that add to them.
CAPPED_LIST_SIZES = {
    "accessTokens": MAX_ACCESS_TOKENS_PER_USER,
    "activeSessions": MAX_ACTIVE_SESSIONS_PER_USER,
}

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"


class _CostCalculator:
    """Walk one operation's selections and add up the cost of every field."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # Each fragment is costed once per page size. Without this cache, fragments that spread
        # other fragments several times would make the walk itself take exponential time.
        self.fragment_costs: dict[tuple[str, int | None], int] = {}
        self.expanding: set[str] = set()

    def selection_set_cost(
        self,
        selection_set: SelectionSetNode,
        parent_type: GraphQLNamedType | None,
        page_size: int | None,
    ) -> int:
        """Return the cost of a selection set resolved once on `parent_type`.

        `page_size` is the `first` of the connection whose selections these are, or None.
        """
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent_type, page_size)
            elif isinstance(selection, InlineFragmentNode):
                fragment_type = self.condition_type(selection.type_condition, parent_type)
                total += self.selection_set_cost(selection.selection_set, fragment_type, page_size)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_cost(selection.name.value, page_size)
        return total

    def fragment_cost(self, name: str, page_size: int | None) -> int:
        key = (name, page_size)
        if key in self.fragment_costs:
            return self.fragment_costs[key]
        fragment = self.fragments.get(name)
        # Validation rejects unknown and cyclic fragments before execution, so they only reach
        # this point in an unvalidated document. Skipping them avoids endless recursion.
        if fragment is None or name in self.expanding:
            return 0
        self.expanding.add(name)
        fragment_type = self.condition_type(fragment.type_condition, None)
        cost = self.selection_set_cost(fragment.selection_set, fragment_type, page_size)
        self.expanding.discard(name)
        self.fragment_costs[key] = cost
        return cost

    def condition_type(
        self, condition: NamedTypeNode | None, parent_type: GraphQLNamedType | None
    ) -> GraphQLNamedType | None:
        if condition is None:
            return parent_type
        return self.schema.get_type(condition.name.value)

    def field_cost(
        self, node: FieldNode, parent_type: GraphQLNamedType | None, page_size: int | None
    ) -> int:
        """Return 1 for the field itself plus its sub-selections times its list size."""
        if node.selection_set is None or not is_composite_type(parent_type):
            return 1
        field = self.schema.get_field(parent_type, node.name.value)
        if field is None:
            return 1
        own_page_size = self.page_size(field, node)
        # A list field with its own `first` is a page itself. A connection's `edges` list
        # takes the `first` of the connection field above it.
        list_page_size = own_page_size if own_page_size is not None else page_size
        if list_page_size is None:
            list_page_size = CAPPED_LIST_SIZES.get(node.name.value)
        items = list_size(field.type, list_page_size)
        child_type = get_named_type(field.type)
        return 1 + items * self.selection_set_cost(node.selection_set, child_type, own_page_size)

    def page_size(self, field: GraphQLField, node: FieldNode) -> int | None:
        """Return the field's `first` argument, or None when the field takes none."""
        if "first" not in field.args:
            return None
        try:
            first = get_argument_values(field, node, self.variables).get("first")
        except GraphQLError:
            # Execution rejects the invalid argument before this field resolves anything.
            return 0
        if first is None:
            return DEFAULT_PAGE_SIZE
        # Resolvers reject a `first` outside 1..MAX_PAGE_SIZE, so no more rows can come back.
        return max(0, min(first, MAX_PAGE_SIZE))


def list_size(field_type: GraphQLOutputType, page_size: int | None) -> int:
    """Return how many items a field of this type can hold: 1 unless it is a list."""
    size = 1
    current = get_nullable_type(field_type)
    while isinstance(current, GraphQLList):
        size *= page_size if page_size is not None else ASSUMED_LIST_SIZE
        current = get_nullable_type(current.of_type)
    return size


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> int | None:
    """Compute the cost of the operation `operation_name` selects in a validated document.

    Returns None when the operation or its variables are invalid, because execution then
    rejects the request before any resolver runs.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root_type = schema.get_root_type(operation.operation)
    if root_type is None:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    calculator = _CostCalculator(schema, fragments, coerced)
    return calculator.selection_set_cost(operation.selection_set, root_type, None)


def too_complex_error(
    cost: int, max_cost: int, operation: OperationDefinitionNode | None
) -> GraphQLError:
    """Build the top-level error for an operation over the cost limit."""
    return GraphQLError(
        f"Query cost {cost} exceeds the maximum of {max_cost}. The cost is an upper bound of "
        f"the fields the operation can return: each connection counts its `first` (default "
        f"{DEFAULT_PAGE_SIZE}) items and each other list {ASSUMED_LIST_SIZE}. Lower `first`, "
        "use fewer aliases or nest fewer lists, or split the operation into several requests.",
        operation,
        extensions={"code": QUERY_TOO_COMPLEX, "cost": cost, "maxCost": max_cost},
    )


class QueryCostLimiter(SchemaExtension):
    """Reject an operation whose cost exceeds `max_cost` before any resolver runs."""

    def __init__(self, *, max_cost: int):
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            schema = context.schema._schema
            cost = operation_cost(schema, document, context.operation_name, context.variables)
            if cost is not None and cost > self.max_cost:
                operation = get_operation_ast(document, context.operation_name)
                # Strawberry (0.341) skips execution when an extension has set the result, and
                # the schema's process_errors logs the error.
                context.result = ExecutionResult(
                    data=None, errors=[too_complex_error(cost, self.max_cost, operation)]
                )
        yield
