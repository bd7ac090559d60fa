"""The tests' cache of Werkzeug URL builders (tests/route_cache.py) gives each rule the URLs its
own compiled builder would: rules alike share a builder, rules that differ do not."""
from __future__ import annotations

import route_cache
from werkzeug.routing import Map, Rule


def urls(*rules: Rule) -> list[str]:
    adapter = Map(list(rules)).bind("example.org")
    return [adapter.build(rule.endpoint, {"n": 7, "extra": "x"}) for rule in rules]


def test_rules_alike_share_a_builder_and_rules_that_differ_do_not():
    assert Rule._compile_builder is route_cache._compile_builder, "conftest installs the cache"
    first = urls(Rule("/items/<int:n>", endpoint="items"), Rule("/pages/<int:n>", endpoint="pages"))
    again = urls(Rule("/items/<int:n>", endpoint="items"), Rule("/pages/<int:n>", endpoint="pages"))
    assert first == again == ["/items/7?extra=x", "/pages/7?extra=x"]
    # A default that appears in the rule is compiled into the builder: a different default is a different builder.
    one = Map([Rule("/list/<int:n>", endpoint="list", defaults={"n": 1})]).bind("example.org")
    two = Map([Rule("/list/<int:n>", endpoint="list", defaults={"n": 2})]).bind("example.org")
    assert one.build("list", {}) == "/list/1" and two.build("list", {}) == "/list/2"
    keys = {key for key in route_cache._builders if key[0] == "/list/<int:n>"}
    assert len(keys) == 4, "two defaults, with and without unknown arguments"
