"""Data fields from the words and column names sellers use in each language."""

from __future__ import annotations

import pytest

from monitor.normalize.fields import data_fields
from monitor.normalize.fold import fold


@pytest.mark.parametrize(("text", "fields"), [
    ("Isi: NIK, nama lengkap, alamat, no HP, email, NPWP, tanggal lahir, gaji",
     ("national_id", "phone", "email", "address", "name", "dob", "tax_id", "salary")),
    ("Kolom: NIK, NKK, NAMA_LGKP, TGL_LHR, JENIS_KLMIN, AGAMA, ALAMAT",
     ("national_id", "address", "name", "dob", "gender", "religion")),
    ("ФИО, дата рождения, телефон, паспорт, адрес регистрации",
     ("passport", "phone", "address", "name", "dob")),
    ("email, телефон, ФИО, адрес, хеши паролей md5",
     ("phone", "email", "address", "name", "password_hash")),
    ("email:pass combolist, plaintext passwords", ("email", "password")),
    ("Name, SSN, DOB, credit card, CVV, IBAN", ("national_id", "name", "dob", "card", "iban")),
    ("姓名、地址、身份证号、手机号", ("national_id", "phone", "address", "name")),
    ("CPF, nome, data de nascimento, sexo, endereço, renda",
     ("national_id", "address", "name", "dob", "gender", "salary")),
    ("الاسم، رقم الهوية، رقم الجوال، تاريخ الميلاد", ("national_id", "phone", "name", "dob")),
    ("नाम, आधार, मोबाइल, पता", ("national_id", "phone", "address", "name")),
    ("Data registrasi kartu SIM: NIK, nomor HP", ("national_id", "phone")),
    ("diagnosis codes (ICD-10), IP address, GPS location, selfie",
     ("health", "photo", "ip", "location")),
    ("name, email, address, phone", ("name", "email", "address", "phone")),  # no "email address"
    ("Greek ministry: AFM, AMKA, name, address", ("tax_id", "national_id", "name", "address")),
    ("رقم البطاقة الوطنية، الاسم، الهاتف، العنوان", ("national_id", "name", "phone", "address")),
    ("Fields: email, bcrypt hash\nPassword: kpu2024", ("email", "password_hash")),
    ("Password: kpu2024\r\nFields: email, phone", ("phone", "email")),  # Windows line ends
    ("Data registrasi kartu SIM, sample.zip", ()),
    ("codice fiscale, nome, cognome, indirizzo, IBAN", ("tax_id", "name", "address", "iban")),
])
def test_fields(text: str, fields: tuple[str, ...]) -> None:
    assert set(data_fields(fold(text))) == set(fields)
