from django.db import migrations


def forwards(apps, schema_editor):
    Subject = apps.get_model("budget", "PerformanceSubject")
    Subject.objects.filter(is_new=False).update(scope_kind="continuing")


class Migration(migrations.Migration):
    dependencies = [("budget", "0004_subject_scope_kind_investment")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
