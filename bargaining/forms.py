from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from core.i18n import _l


class UploadForm(FlaskForm):
    file = FileField(_l("选择文件"), validators=[FileRequired(_l("请选择要上传的文件"))])
