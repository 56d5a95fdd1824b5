from django import template

register = template.Library()


@register.filter
def widget_described(field):
    """Render a form field's widget, tied to its help text and its errors for screen readers."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def my_number_masked(value):
    """Show only the last four digits of a My Number."""
    from madoguchi.privacy.mynumber import mask_my_number

    return mask_my_number(value)


@register.filter
def part_of(render_field, name):
    """One input's text of a composite field (a name's family part, a bank code...)."""
    return render_field.part(name)
