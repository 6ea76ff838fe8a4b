from django.db import migrations, models


class Migration(migrations.Migration):
    """Source.url becomes Source.web_url: in the API, `url` is every record's own address."""

    dependencies = [("events", "0002_topic_cycle_trigger")]

    operations = [
        migrations.RenameField(model_name="source", old_name="url", new_name="web_url"),
        migrations.RenameField(model_name="historicalsource", old_name="url", new_name="web_url"),
        *[
            migrations.AlterField(
                model_name=model_name,
                name="web_url",
                field=models.URLField(
                    blank=True,
                    help_text="Where the document is published.",
                    max_length=500,
                    verbose_name="web URL",
                ),
            )
            for model_name in ("source", "historicalsource")
        ],
    ]
