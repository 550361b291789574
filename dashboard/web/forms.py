"""WTForms for the pages; the rules themselves live in the services, which the API shares."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import FloatField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from dashboard.services.settings import BAND_WIDTHS, SETTING_NAMES


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class BatchEditForm(FlaskForm):
    region_name = StringField(_l("Region name"), validators=[Optional(), Length(max=200)])
    school_name = StringField(_l("School name"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    excellent_threshold = FloatField(_l("Excellent from (share of the full mark)"), validators=[Optional()])
    good_threshold = FloatField(_l("Good from"), validators=[Optional()])
    satisfactory_threshold = FloatField(_l("Satisfactory (pass) from"), validators=[Optional()])
    group_share = FloatField(_l("Upper and lower group share (discrimination)"), validators=[Optional()])
    band_width = SelectField(
        _l("Score band width"), choices=[SelectChoice(width, f"{width} %") for width in BAND_WIDTHS], coerce=int
    )

    def settings(self):
        return {name: getattr(self, name).data for name in SETTING_NAMES}


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
