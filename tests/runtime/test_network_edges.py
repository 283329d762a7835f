"""The edges of the address checks that the mutation run (scripts/mutation.py) found unpinned:
the limits (253 characters, labels of 63, ports 1 to 65535), brackets, the exact words of
every reason, what a secret input shows, and the IDNA fallback when the idna package is
missing."""

from __future__ import annotations

import sys

import pytest

from shipyard.runtime import InputError
from shipyard.runtime.network import (
    AddressError,
    ascii_host,
    check_host,
    check_host_port,
    check_url,
    parse_port,
    split_host_port,
    url_problem,
)


def reason(call: object, *args: object) -> str:
    with pytest.raises(AddressError) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


def input_error(call: object, *args: object, **kw: object) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kw)  # type: ignore[operator]
    return str(caught.value)


# --- limits -------------------------------------------------------------------------------


def test_a_name_of_253_characters_and_a_label_of_63_are_the_longest() -> None:
    label63 = "a" * 63
    name253 = ".".join([label63, label63, label63, "b" * 61])
    assert len(name253) == 253
    assert ascii_host(name253) == name253
    assert ascii_host(name253 + ".") == name253 + "."  # the final dot is not counted
    assert reason(ascii_host, name253 + "b") == "is longer than 253 characters"
    assert ascii_host(label63 + ".com") == label63 + ".com"
    assert reason(ascii_host, "a" + label63 + ".com") == (
        "has a label of 64 characters (at most 63 between dots)"
    )


@pytest.mark.parametrize("host", ["-a.com", "a-.com", "x.b-"])
def test_a_label_cannot_start_or_end_with_a_dash(host: str) -> None:
    assert reason(ascii_host, host) == "has a label that starts or ends with '-'"


def test_a_one_letter_name_with_a_final_dot() -> None:
    assert ascii_host("a.") == "a."
    assert reason(ascii_host, ".") == "has an empty label (two dots in a row, or a leading dot)"


@pytest.mark.parametrize(("text", "port"), [("1", 1), ("80", 80), ("65535", 65535)])
def test_ports_from_1_to_65535(text: str, port: int) -> None:
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["0", "65536", "", "\uff18\uff10", "-1"])
def test_ports_outside_are_refused_word_for_word(text: str) -> None:
    assert reason(parse_port, text) == f"'{text}' is not a port number (1-65535)"


# --- reasons, word for word ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("", "is empty"),
        ("a\x7fb", "contains a space or a control character"),  # DEL: a control, not a space
        ("a b", "contains a space or a control character"),
        ("1:2", "has a ':' but is not an IPv6 address"),
        ("[::1", "has a ':' but is not an IPv6 address"),  # no closing bracket: not stripped
        ("::1]", "has a ':' but is not an IPv6 address"),
        ("a..b", "has an empty label (two dots in a row, or a leading dot)"),
        ("a*b", "has a character other than letters, digits, '.', '-' and '_'"),
        ("999.1.1.1", "is not a valid IPv4 address"),
    ],
)
def test_host_reasons(host: str, said: str) -> None:
    assert reason(ascii_host, host) == said


def test_an_ipv6_address_in_brackets_comes_out_bare() -> None:
    assert ascii_host("[::1]") == "::1"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("[::1]]", "has text after ']' that is not ':port'"),
        ("[::1]x", "has text after ']' that is not ':port'"),
        ("[::1", "has an unclosed '['"),
        ("[example.com]", "has no IPv6 address between '[' and ']'"),
        ("[]:80", "has no IPv6 address between '[' and ']'"),
        (":80", "has no host name"),
    ],
)
def test_host_port_reasons(value: str, said: str) -> None:
    assert reason(split_host_port, value) == said


def test_host_port_forms() -> None:
    assert split_host_port("[::1]") == ("::1", None)
    assert split_host_port("[::1]:22") == ("::1", 22)
    assert split_host_port(" h:22 ") == ("h", 22)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://a b/", "contains a space or a control character"),
        ("ftp://h/", "is not an http(s) URL"),
        ("http:///path", "has no host name"),
        ("http://h:0/", "has port 0"),
        ("http://[::1]/", None),
        ("http://[::1]:8080/", None),
        ("http://user:pw@[::1]:8080/", None),
        ("http://h:8080/", None),
        ("http://h:x/", "has an invalid host or port"),
        ("http://-h/", "has a host name that has a label that starts or ends with '-'"),
        # requests refuses these ("is not a valid host or port"): so must the check.
        ("http://[::1]x/", "has an invalid host or port"),
        ("http://[::1]]/", "has an invalid host or port"),
        ("http://[::1]]:80/", "has an invalid host or port"),
    ],
)
def test_url_problems_word_for_word(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_other_schemes_are_named_as_such() -> None:
    assert url_problem("ftp://h/", ("ssh",)) == "has another scheme"
    assert url_problem("ssh://h/", ("ssh",)) is None
    assert check_url("remote", "ssh://h", ("ssh",)) == "ssh://h"
    assert input_error(check_url, "remote", "http://h", ("ssh",)) == (
        "Input 'remote': has another scheme (the value is not shown: it may hold a secret)."
    )


# --- what an input error shows ------------------------------------------------------------


def test_check_host_quotes_the_value_unless_it_is_secret() -> None:
    assert input_error(check_host, "host", "a b") == (
        "Input 'host': 'a b' is not a host name: it contains a space or a control character."
    )
    assert input_error(check_host, "host", "a b", secret=True) == (
        "Input 'host': the value is not a host name: it contains a space or a control character."
    )
    assert (
        input_error(check_host, "host", "") == "Input 'host': '' is not a host name: it is empty."
    )


def test_check_host_port_quotes_the_value_unless_it_is_secret() -> None:
    assert input_error(check_host_port, "server", "h:99999") == (
        "Input 'server': '99999' is not a port number (1-65535)."
    )
    assert input_error(check_host_port, "server", "h:99999", secret=True) == (
        "Input 'server': has a port that is not a number from 1 to 65535."
    )
    assert input_error(check_host_port, "server", "") == "Input 'server': '' has no host name."
    assert input_error(check_host_port, "server", "[x", secret=True) == (
        "Input 'server': the value has an unclosed '['."
    )
    assert input_error(check_host_port, "server", "a b:1") == (
        "Input 'server': 'a b:1' has a host that contains a space or a control character."
    )
    assert check_host_port("server", "[::1]:22") == "[::1]:22"


# --- IDNA -----------------------------------------------------------------------------------


def test_idna_names_and_their_errors() -> None:
    assert ascii_host("bücher.de") == "xn--bcher-kva.de"
    assert reason(ascii_host, "bü\u0301\u0301cher-.de") in (
        "is not a valid internationalised domain name (IDNA)",
        "has a label that starts or ends with '-'",
    )
    assert reason(ascii_host, "a\u200db.de") == (
        "is not a valid internationalised domain name (IDNA)"
    )


def test_without_the_idna_package_the_codec_does_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "idna", None)  # import idna raises ImportError
    assert ascii_host("bücher.de") == "xn--bcher-kva.de"
    assert reason(ascii_host, "ü" * 70 + ".de") == "is not a valid internationalised domain name"
