"""ListSelect: forms.Select's markup, built without a template per option."""

import re

from django import forms

from vulndesk.core.forms import ListSelect

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


def test_the_chosen_value_is_selected_and_labels_are_escaped() -> None:
    html = str(_Form({"list_select": "g1"})["list_select"])

    assert '<option value="g1" selected>In a group</option>' in html
    assert '<optgroup label="Group">' in html
    assert "X &lt;b&gt;" in html
