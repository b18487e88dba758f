"""Data fields a post says its data holds, in the fixed vocabulary of `monitor.models.DATA_FIELDS`,
from the words and column names sellers write in each language (NIK, KTP, Aadhaar, SSN, CPF →
national_id; NOHP, телефон, telepon → phone; NPWP → tax_id; md5/bcrypt → password_hash ...)."""

from __future__ import annotations

import re

from monitor.models import DATA_FIELDS
from monitor.normalize.lexicon import Lexicon, Tokens

_ALIASES: dict[str, str] = {
    "national_id": """nik|noktp|no_ktp|no ktp|ktp|e-ktp|nik ktp|nomor induk kependudukan|aadhaar|
        aadhar|aadhaar number|ssn|ssns|social security|social security number|cpf|rg|dni|nie|curp|
        nir|numero de secu|numéro de sécu|numero de securite sociale|numéro de sécurité sociale|
        securite sociale|sécurité sociale|снилс|national id|national_id|national ids|id number|
        id card number|citizen id|nin|nric|emirates id|رقم الهوية|الهوية|الرقم القومي|الرقم الوطني|
        身份证|身份证号|身份证号码|आधार|आधार नंबर|voter id|cedula|cédula|rut|identidade|
        numero de identidad|número de identidad|personal id|id_number|nationalid|pesel|
        carte d'identite|carte d'identité|documento de identidad|cni|idcard|amka|dni|nie|cnic|
        αμκα|α.μ.κ.α|αδτ|α.δ.τ|αριθμος ταυτοτητας|αστυνομικη ταυτοτητα|ταυτοτητα|
        nric|bsn|personnummer|cpr|cpr number|hetu|emso|egn|jmbg|nino|national insurance|
        national insurance number|sin|nas|insee|ahv|rodne cislo|isikukood|asmens kodas|dpi|
        ine|nid|nin number|bvn|hkid|mykad|ic number|civil id|الرقم المدني|رقم الإقامة|iqama|
        tc kimlik|tc kimlik no|kimlik|personal number|snils|ssn number|social insurance number|
        cedula de identidad|cédula de identidad|rut number|رقم البطاقة الوطنية|
        البطاقة الوطنية|رقم البطاقة|رقم التعريف الوطني|بطاقة التعريف|رقم بطاقة التعريف|
        driver licence|driver license|driver's license|drivers licence|drivers license|
        driver licences|driving licence|medicare number|id card|id cards|id card scans|
        teudat zehut|citizen id|rrn|rrns|cin|nhs number|philhealth id|иин|пинфл|
        личный номер|krankenversicherungsnummer|avs|kyc|id number|id scans|ktp photo""",
    "passport": """passport|passports|passport number|paspor|паспорт|паспорта|паспортные|
        паспортные данные|passeport|pasaporte|passaporte|جواز السفر|جواز سفر|护照|पासपोर्ट""",
    "phone": """τηλεφωνο|κινητο|
        phone|phones|phone number|phone numbers|mobile|mobile number|msisdn|tel|telephone|
        telefone|teléfono|telefono|téléphone|telephones|celular|móvil|movil|portable|nohp|no_hp|
        no hp|nomor hp|hp|handphone|telepon|no telp|telp|no_telp|телефон|телефоны|телефонов|тел|
        номер телефона|номера телефонов|мобильный|手机|手机号|电话|手机号码|联系电话|
        هاتف|رقم الهاتف|الهاتف|الجوال|رقم الجوال|الموبايل|
        أرقام الهواتف|جوال|موبايل|फोन|मोबाइल|फ़ोन|contact number|whatsapp|phone_number|mobile_no|
        cell|cell phone|numero|numéro|número|номер|contact no|
        cellphone|numéro de téléphone|numero de telefono|número de teléfono|tlf|moviles""",
    "email": """e-mail διευθυνση|
        email|emails|e-mail|e-mails|mail|mails|correo|correos|correo electronico|courriel|
        почта|почты|email адрес|мейл|мейлы|емейл|емейлы|электронная почта|邮箱|电子邮件|邮件|
        البريد الإلكتروني|البريد|ईमेल|email address|email_address|адрес электронной почты|
        endereco de email|e-posta|إيميل|ايميل|الإيميل""",
    "address": """διευθυνση|
        address|addresses|alamat|адрес|адреса|адрес регистрации|адрес доставки|endereço|
        endereco|endereços|dirección|direccion|domicilio|adresse|adresses|地址|收货地址|住址|
        家庭住址|العنوان|عنوان|पता|street address|home address|billing address|
        shipping address|postal address|residential address|alamat lengkap|
        indirizzo|adres|адрес проживания""",
    "name": """ονοματεπωνυμο|ονομα|επωνυμο|
        name|names|full name|fullname|full_name|first name|last name|firstname|lastname|
        surname|nama|nama lengkap|nama_lgkp|nama_lengkap|имя|фио|фамилия|фамилии|nome|nome completo|
        nombre|nombres|nombre completo|apellido|apellidos|nom|prénom|prenom|nom complet|姓名|
        名字|الاسم|الأسماء|اسم|नाम|पूरा नाम|customer name|nama_lgkp_ibu|nama ibu|nome da mae|
        nome da mãe|nome_mae|titular|ad soyad|soyad|cognome|nome""",
    "dob": """ημερομηνια γεννησης|
        dob|date of birth|birth date|birthdate|birthday|tgllhr|tgl_lhr|tanggal lahir|
        tgl lahir|дата рождения|даты рождения|др|data de nascimento|nascimento|data nasc|
        fecha de nacimiento|date de naissance|出生日期|生日|تاريخ الميلاد|जन्म तिथि|जन्मतिथि|
        birth_date|date_of_birth|tanggal_lahir|год рождения|fecha nacimiento|dogum tarihi|
        geburtsdatum|birth day""",
    "gender": """gender|sex|jenis kelamin|jenis_klmin|jenis_kelamin|kelamin|пол|sexo|genero|género|
        sexe|genre|性别|الجنس|लिंग|gender_id""",
    "religion": """religion|agama|религия|religião|religiao|religión|宗教|الدين|الديانة|धर्म""",
    "password": """password|passwords|pass|pwd|passwd|plaintext|plain text passwords|пароль|пароли|
        паролей|senha|senhas|contraseña|contrasena|contraseñas|mot de passe|mots de passe|密码|
        كلمة المرور|كلمات المرور|पासवर्ड|kata sandi|sandi|combo|combos|combolist|
        باسورد|كلمة السر""",
    "password_hash": """hash|hashes|hashed|md5|bcrypt|sha1|sha256|sha-1|sha-256|sha512|sha-512|
        argon2|pbkdf2|хеш|хеши|хэш|хэши|хешей|хэшей|哈希|hashed passwords|password hashes|
        password_hash|pass_hash|salt|salted|mysql5|ntlm|phpass|scrypt""",
    "card": """credit card|credit cards|debit card|card number|card numbers|cc|ccs|cvv|cvv2|cvc|
        kartu kredit|номер карты|номера карт|банковские карты|cartão de crédito|cartao de credito|
        cartões|tarjeta de credito|tarjeta de crédito|tarjetas|carte bancaire|cartes bancaires|
        numéro de carte|银行卡|信用卡|卡号|بطاقة ائتمان|بطاقات ائتمان|बैंक कार्ड|क्रेडिट कार्ड|
        card_number|expiry date|exp date|fullz|cards|card|card last4|tarjetas|карты|cartes""",
    "bank_account": """bank account|bank accounts|account number|rekening|no rekening|norek|
        no_rekening|номер счета|расчетный счет|банковский счет|банковские счета|conta bancária|
        conta bancaria|agência|agencia e conta|cuenta bancaria|numero de cuenta|número de cuenta|
        compte bancaire|rib|银行账户|银行账号|الحساب البنكي|رقم الحساب|खाता संख्या|बैंक खाता|
        routing number|sort code|ifsc|bank details|dados bancarios|dados bancários|account|
        accounts|account numbers|cuenta|numero de compte|numéro de compte|الحساب|
        رقم الحساب البنكي|routing|bvn|conta|счет|номер счета""",
    "iban": """iban|ibans|swift|bic|الآيبان|الايبان|آيبان""",
    "tax_id": """npwp|tin|tax id|tax_id|taxpayer id|pan card|pan number|pan|инн|nif|rfc|cuit|cuil|
        税号|الرقم الضريبي|numéro fiscal|numero fiscal|gstin|ein|itin|tax number|afm|oib|tfn|
        αφμ|α.φ.μ|
        kra pin|ird number|steuer-id|steuernummer|vat number|cuit|tin number|inn|
        codice fiscale""",
    "health": """health|medical|medical records|diagnosis|diagnoses|icd|icd-10|disease|diseases|
        rekam medis|medis|penyakit|riwayat penyakit|медицинские|медицинская|диагноз|диагнозы|
        анализы|saúde|saude|prontuário|prontuario|salud|historial medico|historial médico|santé|
        sante|mutuelle|dossier médical|dossier medical|病历|医疗|病情|诊断|صحي|صحية|طبي|طبية|
        स्वास्थ्य|मेडिकल|blood type|golongan darah|vaccination|vaccine|vaccinations|covid|
        test results|lab results|prescriptions|insurance claims|health insurance|patients|
        patient|pacientes|paciente|пациентов|пациенты|pasien|مريض|مرضى|病人|患者|मरीज|
        التشخيص|المطالبات الطبية|الطبية|medicines|medications|medicamentos|claims|
        historia clinica|historia clínica|diagnostico|diagnóstico|dossiers medicaux|
        dossiers médicaux|medical conditions|vaccine dates|diagnosa|rekam medik""",
    "salary": """salary|salaries|income|gaji|penghasilan|pendapatan|зарплата|зарплаты|доход|доходы|
        renda|salário|salario|ingresos|sueldo|salaire|salaires|revenu|revenus|工资|收入|薪资|
        الراتب|رواتب|वेतन|तनख्वाह|annual income|monthly income""",
    "photo": """photo|photos|selfie|selfies|foto|fotos|фото|фотографии|照片|صورة|صور|फोटो|
        face photo|id photo|scan|scans|сканы|скан""",
    "ip": """ip|ips|ip address|ip addresses|ip-адрес|ip адрес|айпи|direccion ip|adresse ip|
        endereço ip|ip_address|last_ip|reg_ip|عنوان ip""",
    "location": """location|locations|gps|geolocation|coordinates|lat/long|latitude|longitude|
        lokasi|координаты|геолокация|localização|localizacao|ubicación|ubicacion|localisation|
        位置|定位|الموقع|स्थान|geo|city|cities|المدينة|ville|ciudad|cidade|город|शहर|
        城市|governorate|region|zip code|zip codes|postcode|postal code|
        codigo postal|código postal|code postal|cep|индекс""",
}
# Phrases that hold a field's word but are not that field ("SIM card" is no payment card);
# the lexicon reads the longest phrase, so these win and then count for nothing.
_NOT_FIELDS = ("sim card", "sim cards", "kartu sim", "kartu keluarga", "pass the", "pass it",
               "card game", "gift card", "gift cards", "boarding pass", "archive password",
               "password for archive", "password for the archive", "zip password",
               "rar password", "senha do arquivo", "пароль от архива", "пароль на архив",
               "user accounts", "accounts of", "account balance")
_LEXICON = Lexicon([*((" ".join(w.split()), field) for field, words in _ALIASES.items()
                      for w in words.split("|") if w.strip()),
                    *((phrase, "-") for phrase in _NOT_FIELDS)], shared=True)
# "Password: kpu2024" on a line of its own opens the archive; it is not a field of the data.
_PASSWORD_LABEL = re.compile(
    r"^[ \t]*(?:archive |zip |rar )?(?:password|pass|pwd|senha|пароль|kata sandi|mot de passe|"
    r"contrasena|contraseña)[ \t]*[:=][ \t]*\S+[ \t\r]*$", re.MULTILINE)  # \r: Windows lines
# The same line found from the newline before it (the text searched with one put in front): the
# engine then tries only after newlines, not at each character to see whether a line starts.
_LABEL_LINE = re.compile("\n" + _PASSWORD_LABEL.pattern.removeprefix("^"), re.MULTILINE)
# Words that say the passwords are readable: looked for as plain substrings (`in`, a fast search
# in C each, where a pattern of them tries most letters of the text).
_PLAIN = ("plain", "cleartext", "clear text", "открыт", "decrypted", "cracked", "decoded",
          "расшифр", "明文", "texto plano", "en clair")


def _readable(folded: str) -> bool:
    """The text says its passwords can be read (plain text, cracked, decrypted)."""
    return any(word in folded for word in _PLAIN)


def data_fields(folded: str, words: list[str] | Tokens | None = None) -> tuple[str, ...]:
    """Fields named in folded text (or its `words`), in DATA_FIELDS order."""
    if ("pass" in folded or "senha" in folded or "пароль" in folded or "sandi" in folded
            or "contrase" in folded) and _LABEL_LINE.search("\n" + folded):
        folded, words = _PASSWORD_LABEL.sub(" ", folded), None  # the archive's password
    found = set(_LEXICON.find(folded, words))
    found.discard("-")
    if "password_hash" in found and "password" in found and not _readable(folded):
        found.discard("password")
    return tuple(f for f in DATA_FIELDS if f in found)
