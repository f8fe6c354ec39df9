"""The exposition writer against a strict parser: escaping, one HELP/TYPE per family, no duplicates."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from promtext import PromError, parse

from ansible_collections.fastpath.host.plugins.module_utils.prom_exposition import Exposition


def test_families_are_written_once_with_their_samples_contiguous():
    exp = Exposition()
    exp.declare("fastpath_a_total", "counter", "A counter.")
    exp.declare("fastpath_b", "gauge", "A gauge.")
    exp.add("fastpath_b", {"cpu": 1}, 5)
    exp.add("fastpath_a_total", {"cpu": 0}, 1)
    exp.add("fastpath_a_total", {"cpu": 1}, 2)
    text = exp.render()
    fams = parse(text)
    assert text.count("# TYPE fastpath_a_total counter") == 1
    assert [v for _labels, v in fams["fastpath_a_total"]["samples"]] == [1.0, 2.0]
    assert fams["fastpath_b"]["samples"] == [({"cpu": "1"}, 5.0)]


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_label_value_survives_the_round_trip(value, help_text):
    exp = Exposition()
    exp.declare("fastpath_x", "gauge", help_text)
    exp.add("fastpath_x", {"name": value}, 1)
    fams = parse(exp.render())
    assert fams["fastpath_x"]["samples"][0][0]["name"] == value
    assert fams["fastpath_x"]["help"] == help_text


def test_hostile_irq_name_is_escaped():
    exp = Exposition()
    exp.declare("fastpath_x", "gauge", "x")
    exp.add("fastpath_x", {"name": 'eth0"} 1\nfastpath_evil 1 \\'}, 1)
    text = exp.render()
    assert "fastpath_evil" not in parse(text)
    assert len(text.splitlines()) == 3


def test_unknown_values_are_left_out_and_empty_families_not_written():
    exp = Exposition()
    exp.declare("fastpath_x", "gauge", "x")
    exp.declare("fastpath_y", "gauge", "y")
    exp.add("fastpath_x", {"device": "eth0"}, None)
    exp.add("fastpath_y", {}, math.inf)
    assert exp.render() == "# HELP fastpath_y y\n# TYPE fastpath_y gauge\nfastpath_y +Inf\n"


@pytest.mark.parametrize(
    ("declare", "add", "message"),
    [
        (("fastpath_x", "gauge", "x"), ("fastpath_x", {"a": "1"}, 1), "duplicate series"),
        (("fastpath_x", "counter", "x"), None, "must end in _total"),
        (("fastpath x", "gauge", "x"), None, "invalid metric name"),
        (("fastpath_x", "gauge", "x"), ("fastpath_x", {"__a": "1"}, 1), "invalid label name"),
        (("fastpath_x", "gauge", "x"), ("fastpath_y", {}, 1), "before it was declared"),
    ],
)
def test_writer_refuses_what_prometheus_would_reject(declare, add, message):
    exp = Exposition()
    with pytest.raises(ValueError, match=message):
        exp.declare(*declare)
        exp.add("fastpath_x", {"a": "1"}, 1)
        exp.add(*add)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# TYPE a gauge\n# TYPE a gauge\na 1\n", "second TYPE"),
        ("a 1\n# TYPE a gauge\n", "TYPE after samples"),
        ('a{x="1"} 1\na{x="1"} 2\n', "duplicate series"),
        ('a 1\nb 1\na{x="2"} 1\n', "not contiguous"),
        ('a{x="\\t"} 1\n', "bad escape"),
        ('a{x="1} 1\n', "ends inside"),
        ("a 1\n\nb 2\n", "blank line"),
        ("a one\n", "bad value"),
        ("# TYPE c counter\nc 1\n", "does not end in _total"),
        ("a 1", "end with a newline"),
    ],
)
def test_the_strict_parser_rejects_broken_files(text, message):
    with pytest.raises(PromError, match=message):
        parse(text)
