"""The admin, as an editor meets it: every model's list, search, change, add and history pages."""

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from events.models import Country, Event, Source, Topic

pytestmark = pytest.mark.django_db

MODELS: list[type[Model]] = [m for m in admin.site._registry if m._meta.app_label == "events"]


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:events_{model._meta.model_name}_{view}", args=args)


def test_it_registers_every_model_of_the_domain() -> None:
    assert {m.__name__ for m in MODELS} == {
        "Source",
        "Citation",
        "Country",
        "Participant",
        "Topic",
        "Event",
        "EventRelation",
        "Participation",
        "Statement",
        "TariffMeasure",
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_serves_every_admin_page_for_staff(
    staff_client: Client, article: None, model: type[Model]
) -> None:
    record = model._default_manager.order_by("pk").first()
    assert record is not None
    pages = [
        admin_url(model, "changelist"),
        admin_url(model, "changelist") + "?q=Pakistan",
        admin_url(model, "add"),
        admin_url(model, "change", record.pk),
        admin_url(model, "history", record.pk),
    ]
    statuses = {page: staff_client.get(page).status_code for page in pages}
    assert statuses == dict.fromkeys(pages, 200)


def test_it_finds_events_by_search(staff_client: Client, article: None) -> None:
    response = staff_client.get(admin_url(Event, "changelist"), {"q": "Sharifullah"})
    assert sorted(e.slug for e in response.context["cl"].result_list) == [
        "kabul-airport-attack-2021-08-26",  # its summary names him
        "mohammad-sharifullah-arrested-2025-03",
    ]


def test_it_filters_events_by_type_and_topic(staff_client: Client, article: None) -> None:
    topic = Topic.objects.get(slug="critical-minerals")
    response = staff_client.get(
        admin_url(Event, "changelist"),
        {"event_type__exact": "negotiation", "topics__id__exact": topic.pk},
    )
    assert sorted(e.slug for e in response.context["cl"].result_list) == [
        "us-dr-congo-critical-minerals-talks",
        "us-ukraine-critical-minerals-talks",
    ]


def test_it_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get(admin_url(Event, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_shows_the_models_validation_message(staff_client: Client) -> None:
    response = staff_client.post(
        admin_url(Country, "add"),
        {
            "iso2": "in",
            "iso3": "IND",
            "name": "India",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "iso2": ["Two upper-case letters, e.g. 'PK'."]
    }
    assert not Country.objects.filter(iso3="IND").exists()


def test_it_shows_a_constraint_violation_under_its_field(
    staff_client: Client, article: None, rf: RequestFactory
) -> None:
    event = Event.objects.get(slug="rubio-dar-phone-call-2025-04-07")
    request = rf.get("/")
    request.user = staff_client.user  # type: ignore[attr-defined]
    form_class = admin.site._registry[Event].get_form(request, obj=event)
    data = {
        "title": event.title,
        "slug": event.slug,
        "event_type": event.event_type,
        "cameo_code": event.cameo_code,
        "start_date": "2025-04-07",
        "end_date": "2025-04-01",
        "date_precision": "day",
    }
    form = form_class(data=data, instance=event)
    assert not form.is_valid()
    assert form.errors == {"end_date": ["The end date cannot be before the start date."]}


def test_it_records_the_editor_in_the_change_history(staff_client: Client) -> None:
    response = staff_client.post(
        admin_url(Country, "add"),
        {
            "iso2": "IN",
            "iso3": "IND",
            "name": "India",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    history = Country.objects.get(iso2="IN").history.get()
    assert (history.history_type, history.history_user) == ("+", staff_client.user)  # type: ignore[attr-defined]


def source_form(source: Source, **changes: str) -> dict[str, str]:
    """The source's change form as the admin fills it, with `changes`."""
    return {
        "slug": source.slug,
        "title": source.title,
        "publisher": source.publisher,
        "web_url": source.web_url,
        "published_on": str(source.published_on or ""),
        "published_precision": source.published_precision,
        "note": source.note,
        "language": source.language,
        "body": source.body,
        "body_kind": source.body_kind,
        "retrieved_at_0": "",
        "retrieved_at_1": "",
        **changes,
    }


def test_it_refuses_a_source_text_that_drops_a_cited_excerpt(
    staff_client: Client, article: None
) -> None:
    """Issue 12: the source's change form saved a body its citations no longer occur in."""
    source = Source.objects.get(slug="reuters-washington-2025-04-07")
    body = source.body
    arrest = '  Reuters placed the arrest "last month", i.e. March 2025.\n'

    response = staff_client.post(
        admin_url(Source, "change", source.pk), source_form(source, body=body.replace(arrest, ""))
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "body": [
            "The text no longer contains the excerpt of 1 citation of this source (an excerpt "
            "must occur verbatim in its source's body): keep the excerpts in the text, or change "
            "or delete those citations first.",
            'event mohammad-sharifullah-arrested-2025-03, field start_date: "Reuters placed the '
            'arrest "last month", i.e. March 2025."',
        ]
    }
    assert "The text no longer contains the excerpt of 1 citation" in response.content.decode()
    assert Source.objects.get(pk=source.pk).body == body


def test_it_saves_a_source_text_that_keeps_every_excerpt(
    staff_client: Client, article: None
) -> None:
    source = Source.objects.get(slug="reuters-washington-2025-04-07")
    body = source.body + "\n- A line nothing cites yet."

    response = staff_client.post(
        admin_url(Source, "change", source.pk), source_form(source, body=body)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Source.objects.get(pk=source.pk).body == body


def test_it_tells_the_editor_a_change_was_saved(staff_client: Client, article: None) -> None:
    """Django's messages run for the admin (events.middleware.MessageMiddleware skips only
    /api/, where no answer shows one)."""
    topic = Topic.objects.get(slug="trade")
    page = staff_client.get(admin_url(Topic, "change", topic.pk))
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, object] = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    data["description"] = "Trade between countries."
    saved = staff_client.post(admin_url(Topic, "change", topic.pk), data, follow=True)
    change = admin_url(Topic, "change", topic.pk)
    assert [str(message) for message in saved.context["messages"]] == [
        f'The topic “<a href="{change}">Trade</a>” was changed successfully.'
    ]
