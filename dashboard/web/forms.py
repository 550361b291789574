"""WTForms for the pages; the rules themselves live in the services, which the API shares."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class BatchEditForm(FlaskForm):
    region_name = StringField(_l("Region name"), validators=[Optional(), Length(max=200)])
    school_name = StringField(_l("School name"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class BatchForm(BatchEditForm):
    batch_code = StringField(_l("Batch code"), validators=[DataRequired(), Length(max=64)])
    aggregation_level = SelectField(
        _l("Aggregation level"), choices=[SelectChoice("regional", _l("Regional")), SelectChoice("school", _l("School"))], default="regional"
    )
    school_id = StringField(_l("School id (school-level batches only)"), validators=[Optional(), Length(max=64)])

    field_order = ("batch_code", "aggregation_level", "school_id", "region_name", "school_name", "description")


class UploadForm(FlaskForm):
    questions = FileField(_l("Question table (CSV)"))
    scores = MultipleFileField(_l("Score sheets (CSV, one or more)"))
