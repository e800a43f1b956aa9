"""ListSelect and PlainInput: Django's select and input markup, built without templates."""

import re
from collections.abc import Callable

import pytest
from django import forms
from django.forms.widgets import Input

from vulndesk.core.forms import (
    ListSelect,
    PlainCheckboxInput,
    PlainHiddenInput,
    PlainInput,
    PlainNumberInput,
    PlainSearchInput,
    PlainTextInput,
)

CHOICES = [("", "All"), ("x", "X <b>"), ("y", "Y"), ("Group", [("g1", "In a group")])]


class _Form(forms.Form):
    template_select = forms.ChoiceField(choices=CHOICES, required=False)
    list_select = forms.ChoiceField(choices=CHOICES, required=False, widget=ListSelect(attrs={"accesskey": "p"}))


def _normalized(html: str, name: str) -> str:
    return re.sub(r">\s+<", "><", html.strip()).replace(name, "NAME")


def test_the_markup_is_the_template_select_s() -> None:
    form = _Form({"template_select": "x", "list_select": "x"})
    form.fields["template_select"].widget.attrs = {"accesskey": "p"}

    assert _normalized(str(form["list_select"]), "list_select") == _normalized(
        str(form["template_select"]), "template_select"
    )


def test_a_value_listed_twice_is_selected_once_as_django_selects_it() -> None:
    class _Twice(forms.Form):
        template_select = forms.ChoiceField(choices=[("a", "A"), ("b", "B"), ("a", "A again")])
        list_select = forms.ChoiceField(choices=[("a", "A"), ("b", "B"), ("a", "A again")], widget=ListSelect)

    form = _Twice({"template_select": "a", "list_select": "a"})

    assert str(form["list_select"]).count(" selected") == 1
    assert _normalized(str(form["list_select"]), "list_select") == _normalized(
        str(form["template_select"]), "template_select"
    )


def test_the_chosen_value_is_selected_and_labels_are_escaped() -> None:
    html = str(_Form({"list_select": "g1"})["list_select"])

    assert '<option value="g1" selected>In a group</option>' in html
    assert '<optgroup label="Group">' in html
    assert "X &lt;b&gt;" in html


def _text() -> forms.Field:
    return forms.CharField(max_length=80)


def _optional() -> forms.Field:
    return forms.CharField(required=False)


def _number() -> forms.Field:
    return forms.IntegerField(min_value=0, max_value=9, required=False)


def _flag() -> forms.Field:
    return forms.BooleanField(required=False)


@pytest.mark.parametrize(
    ("plain", "django", "field", "value"),
    [
        (PlainTextInput, forms.TextInput, _text, 'a "quoted" <b>name</b> & more'),
        (PlainSearchInput, forms.SearchInput, _optional, ""),
        (PlainNumberInput, forms.NumberInput, _number, "7"),
        (PlainHiddenInput, forms.HiddenInput, _optional, "state=new&sort=age"),
        (PlainCheckboxInput, forms.CheckboxInput, _flag, "on"),
        (PlainCheckboxInput, forms.CheckboxInput, _flag, ""),
    ],
)
def test_plain_inputs_write_the_markup_of_django_s_input_template(
    plain: type[PlainInput], django: type[Input], field: Callable[[], forms.Field], value: str
) -> None:
    attrs = {"accesskey": "s", "placeholder": "Words <or> VD-R12", "autofocus": True, "disabled": False}
    template_field, plain_field = field(), field()
    template_field.widget, plain_field.widget = django(attrs=dict(attrs)), plain(attrs=dict(attrs))
    # What a field adds to its widget's attributes (required, maxlength, min, max) as Field.__init__ would.
    template_field.widget.attrs.update(template_field.widget_attrs(template_field.widget))
    plain_field.widget.attrs.update(plain_field.widget_attrs(plain_field.widget))
    form_class = type("InputForm", (forms.Form,), {"template_input": template_field, "plain_input": plain_field})
    form = form_class({"template_input": value, "plain_input": value})

    assert _normalized(str(form["plain_input"]), "plain_input") == _normalized(
        str(form["template_input"]), "template_input"
    )
    assert "disabled" not in str(form["plain_input"])
