"""Country names and demonyms in the languages Bazaarwatch reads, and country-code top-level
domains, as ISO 3166-1 alpha-2 codes. A word ending in "*" matches as a stem ("российск*" reads
"российских", "российского"); the rest match as whole words. Folded like the text (`fold`)."""

from __future__ import annotations

COUNTRY_WORDS: dict[str, str] = {
    "ID": """indonesia indonesian* wni indonesie indonésie indonesien nkri rakyat_indonesia
        warga_negara_indonesia penduduk_indonesia индонези* 印尼 印度尼西亚 إندونيسي* اندونيسي*
        इंडोनेशिया* jakarta surabaya bandung""",
    "IN": """india indian* indians bharat aadhaar_holders индия индийск* 印度 الهند هندي* भारत*
        भारतीय* हिंदुस्तान* inde indien* indiens índia indios mumbai delhi bengaluru bangalore
        chennai kolkata hyderabad maharashtra karnataka tamil_nadu kerala gujarat punjab
        rajasthan uttar_pradesh bihar telangana andhra bengal odisha pune ahmedabad jaipur lucknow
        aadhaar uidai""",
    "RU": """russia russian* russians рф россия россии российск* россиян* русск* 俄罗斯 俄国 روسيا
        روسي* रूस* russie russe* russes rusia ruso rusos rusa rusas rússia russo* russa*
        москв* moscow
        санкт-петербург* питер*""",
    "UA": """ukraine ukrainian* украин* 乌克兰 أوكرانيا ucrania ucrania* ucraniano* ukrainien*
        kyiv kiev киев* київ*""",
    "BY": """belarus belarusian* беларус* белорус* 白俄罗斯""",
    "KZ": """kazakhstan kazakh* казахстан* казахск* 哈萨克斯坦""",
    "CN": """china chinese 中国 中國 大陆 国内 中华 上海 北京 广东 深圳 китай* китайск* الصين صيني*
        चीन* chine chinois* chinoise* chino* china* cina tiongkok shanghai beijing shenzhen
        广州 杭州 江苏
        浙江 四川 湖北 湖南 河南 山东 福建 天津
        重庆 武汉 成都 南京 大陆地区 全国 身份证""",
    "TW": """taiwan taiwanese 台湾 臺灣 тайван*""",
    "HK": """hong_kong hongkong 香港 гонконг*""",
    "MO": """macau macao 澳门 澳門 макао""",
    "BR": """brazil brazilian* brasil brasileir* brésil bresil brésilien* бразили* 巴西 البرازيل
        ब्राज़ील cpfs são_paulo sao_paulo rio_de_janeiro minas_gerais bahia paraná parana
        pernambuco ceará ceara goiás goias brasília brasilia detran serasa cpf""",
    "PT": """portugal portugues* portuguese португал* 葡萄牙""",
    "ES": """spain spanish espana españa español* espanol* espanola* espanoles españoles espagne
        espagnol* espanha espanhol* испани* 西班牙 إسبانيا madrid barcelona""",
    "MX": """mexico méxico mexican* mexicano* mexicana* mexique mexicain* мексик* 墨西哥
        المكسيك""",
    "AR": """argentina argentin* аргентин* 阿根廷 الأرجنتين""",
    "CO": """colombia colombian* colombiano* colombie колумби* 哥伦比亚""",
    "CL": """chile chilean* chileno* chilena* chili чили 智利""",
    "PE": """peru perú peruvian* peruano* peruana* pérou перу 秘鲁""",
    "VE": """venezuela venezolan* venezuelan* венесуэл*""",
    "EC": """ecuador ecuatorian*""",
    "FR": """france french français francais française francaise françaises francaises
        francia francés frances francesa franca frança franceses francesa франци* француз*
        法国 فرنسا فرنسي* फ्रांस* paris""",
    "BE": """belgium belgian* belgique belge* бельги*""",
    "CH": """switzerland swiss suisse schweiz швейцар*""",
    "DE": """germany german* deutschland deutsch* allemagne allemand* alemania alemán aleman*
        alemanha германи* немецк* 德国 ألمانيا""",
    "IT": """italy italian* italia italiano* italiana* italie italien* итали* 意大利""",
    "NL": """netherlands dutch nederland pays-bas holland нидерланд* голланд*""",
    "PL": """poland polish polska pologne польш* польск*""",
    "TR": """turkey türkiye turkiye turkish turquie turquia турци* турецк* 土耳其 تركيا""",
    "GB": """united_kingdom britain british england english_customers royaume-uni
        britannique* reino_unido великобритани* британ* 英国 بريطانيا""",
    "US": """usa u.s. u.s.a. united_states america american* americans états-unis etats-unis
        estados_unidos estadounidense* сша американск* 美国 أمريكا امريكا أمريكي*""",
    "CA": """canada canadian* canadien* canadiense* канад* 加拿大""",
    "AU": """australia australian* australie австрали* 澳大利亚""",
    "NZ": """new_zealand""",
    "SA": """saudi saudi_arabia ksa arabie_saoudite саудовск* 沙特 السعودية السعودي* سعودي*""",
    "AE": """uae emirates emirati* dubai abu_dhabi émirats emirats оаэ 阿联酋 الإمارات
        الامارات إماراتي* دبي""",
    "QA": """qatar qatari* катар* قطر قطري*""",
    "KW": """kuwait kuwaiti* кувейт* الكويت كويتي*""",
    "BH": """bahrain البحرين""",
    "OM": """oman omani*""",
    "JO": """jordan jordanian* الأردن الاردن أردني* اردني*""",
    "LB": """lebanon lebanese liban لبنان لبناني*""",
    "IQ": """iraq iraqi* ирак* العراق عراقي*""",
    "SY": """syria syrian* سوريا سوري*""",
    "EG": """egypt egyptian* égypte egypte egipto egito египет* египетск* 埃及 مصر مصري*
        cairo القاهرة""",
    "MA": """morocco moroccan* maroc marocain* marrocos marruecos марокк* المغرب مغربي*""",
    "DZ": """algeria algerian* algérie algerie algérien* algerien* алжир* الجزائر جزائري*""",
    "TN": """tunisia tunisian* tunisie tunisien* тунис* تونس تونسي*""",
    "LY": """libya libyan* ليبيا""",
    "IR": """iran iranian* иран* 伊朗 إيران ايران""",
    "IL": """israel israeli* израил* 以色列 إسرائيل""",
    "PK": """pakistan pakistani* пакистан* 巴基斯坦 باكستان पाकिस्तान*""",
    "BD": """bangladesh bangladeshi* бангладеш* 孟加拉 بنغلاديش बांग्लादेश*""",
    "LK": """sri_lanka sri_lankan*""",
    "NP": """nepal nepali* nepalese नेपाल*""",
    "MY": """malaysia malaysian* malaisie малайзи* 马来西亚 ماليزيا""",
    "SG": """singapore singaporean* singapour сингапур* 新加坡""",
    "TH": """thailand thai таиланд* тайск* 泰国 تايلاند""",
    "VN": """vietnam viet_nam vietnamese вьетнам* 越南""",
    "PH": """philippines philippine filipino* filipinas филиппин* 菲律宾 الفلبين""",
    "JP": """japan japanese japon japonais* japonés япони* японск* 日本""",
    "KR": """south_korea korea korean* corée coree corea корея корейск* 韩国 كوريا""",
    "NG": """nigeria nigerian* нигери*""",
    "ZA": """south_africa south_african* afrique_du_sud юар""",
    "KE": """kenya kenyan*""",
    "SE": """sweden swedish suède швеци*""",
    "GR": """greece greek grèce греци*""",
    "RO": """romania romanian* roumanie румыни*""",
    "UZ": """uzbekistan uzbek* узбекистан* узбекск*""",
    "AZ": """azerbaijan azerbaijani* азербайджан*""",
    "GE": """georgia_country грузи*""",
    "AM": """armenia armenian* армени*""",
    # national documents and terms that name their country
    "_ID": """nik ktp e-ktp npwp nkk""",
    "_RU": """снилс омс инн_рф паспорт_рф россиянин*""",
    "_IN": """aadhaar aadhar pan_card uidai""",
    "_BR": """cpf cnpj rg_e_cpf""",
    "_MX": """curp""",
    "_TR": """tc_kimlik""",
    "_PL": """pesel""",
    "_PK": """cnic""",
    "_US": """ssn ssns""",
    # Arabic adjectives, with and without the article: "بنك عماني", "الطيران القطرية"
    "_QA_AR": """قطري* القطري*""",
    "_OM_AR": """عماني* العماني*""",
    "_SA_AR": """سعودي* السعودي*""",
    "_EG_AR": """مصري* المصري*""",
    "_AE_AR": """إماراتي* الإماراتي*""",
    "_KW_AR": """كويتي* الكويتي*""",
    "_JO_AR": """أردني* الأردني*""",
    "_LB_AR": """لبناني* اللبناني*""",
    "_IQ_AR": """عراقي* العراقي*""",
    "_MA_AR": """مغربي* المغربي*""",
    "_DZ_AR": """جزائري* الجزائري*""",
    "_TN_AR": """تونسي* التونسي*""",
    "_BH_AR": """بحريني* البحريني*""",
    "_IN_AR": """هندي* الهندي*""",
    "_RU_AR": """روسي* الروسي*""",
    "_CN_AR": """صيني* الصيني*""",
    "_US_AR": """أمريكي* الأمريكي*""",
    "_IR_AR": """إيراني* الإيراني*""",
    "_SY_AR": """سوري* السوري*""",
    "_LY_AR": """ليبي* الليبي*""",
    "_YE_AR": """يمني* اليمني*""",
    "_SD_AR": """سوداني* السوداني*""",
    "_PS_AR": """فلسطيني* الفلسطيني*""",
    "_TR_AR": """تركي* التركي*""",
    # regions that contain a country's name but are not it: read, and then ignored
    "--": """latin_america south_america north_america central_america latam
        латинской_америки латинская_америка южной_америки america_latina américa_latina
        amérique_latine amerique_latine america_do_sul américa_do_sul""",
    "DK": """denmark danish danmark dansk* danemark danois* dinamarca дани* датск*""",
    "CZ": """czech czechia czech_republic tchèque tcheque chequia чехи* чешск*""",
    "SK": """slovakia slovak* slovaquie словаки* словацк*""",
    "HU": """hungary hungarian* hongrie hongrois* hungria венгри* венгерск*""",
    "AT": """austria austrian* autriche autrichien* австри* австрийск*""",
    "IE": """ireland irish irlande irlandais* irlanda ирланди*""",
    "HR": """croatia croatian* croatie хорвати*""",
    "EE": """estonia estonian* estonie эстони*""",
    "LT": """lithuania lithuanian* lituanie литв* литовск*""",
    "LV": """latvia latvian* lettonie латви* латвийск*""",
    "MN": """mongolia mongolian* mongolie монголи* 蒙古""",
    "FI": """finland finnish finlande финлянди* финск*""",
    "NO": """norway norwegian* norvège норвеги*""",
    "BG": """bulgaria bulgarian* bulgarie болгари*""",
    "RS": """serbia serbian* serbie серби*""",
    "SI": """slovenia slovenian* slovénie""",
    "CY": """cyprus cypriot* chypre кипр*""",
    "IS": """iceland icelandic islande""",
    "MD": """moldova moldovan* молдов*""",
    "AO": """angola angolan* angolano* angolana*""",
    "MZ": """mozambique moçambique mocambique""",
    "CI": """côte_d'ivoire cote_d'ivoire ivoirien* ivoirienne*""",
    "SN": """senegal sénégal sénégalais* senegalais*""",
    "CM": """cameroon cameroun camerounais*""",
    "GH": """ghana ghanaian*""",
    "ET": """ethiopia ethiopian*""",
    "BO": """bolivia bolivian* boliviano* boliviana*""",
    "PY": """paraguay paraguayo* paraguaya*""",
    "UY": """uruguay uruguayo* uruguaya*""",
    "GT": """guatemala guatemaltec*""",
    "DO": """dominican_republic república_dominicana republica_dominicana dominicano*""",
    "PA": """panama panamá panameño* panameno*""",
    "CR": """costa_rica costarricense*""",
    "KH": """cambodia cambodian* камбодж*""",
    "MM": """myanmar burmese""",
    "AF": """afghanistan afghan* афганистан*""",
    "KG": """kyrgyzstan kyrgyz* киргиз* кыргыз*""",
    "TJ": """tajikistan tajik* таджик*""",
    "TM": """turkmenistan turkmen* туркмен*""",
}

# Second-level labels that say the host is an organisation's or a government's, so the ccTLD
# names the victim's country; plain ccTLDs count too. Generic TLDs say nothing.
CCTLD: dict[str, str] = {t: t.upper() for t in [
    "ac", "ad", "ae", "af", "ag", "al", "am", "ao", "ar", "at", "au", "az", "ba", "bb", "bd", "be",
    "bf", "bg", "bh", "bi", "bj", "bn", "bo", "br", "bs", "bt", "bw", "by", "bz", "ca", "cd", "cf",
    "cg", "ch", "ci", "cl", "cm", "cn", "co", "cr", "cu", "cv", "cy", "cz", "de", "dk", "dm", "do",
    "dz", "ec", "ee", "eg", "es", "et", "fi", "fj", "fr", "ga", "ge", "gh", "gr", "gt", "gy", "hk",
    "hn", "hr", "ht", "hu", "id", "ie", "il", "in", "iq", "ir", "is", "it", "jm", "jo", "jp", "ke",
    "kg", "kh", "kr", "kw", "kz", "la", "lb", "lk", "lr", "lt", "lu", "lv", "ly", "ma", "md", "mg",
    "mk", "ml", "mm", "mn", "mo", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "ne", "ng", "ni",
    "nl", "no", "np", "nz", "om", "pa", "pe", "pg", "ph", "pk", "pl", "pr", "ps", "pt", "py", "qa",
    "ro", "rs", "ru", "rw", "sa", "sd", "se", "sg", "si", "sk", "sn", "so", "sv", "sy", "th", "tj",
    "tm", "tn", "tr", "tt", "tw", "tz", "ua", "ug", "uy", "uz", "ve", "vn", "ye", "za", "zm", "zw"
]}
CCTLD["uk"] = "GB"
CCTLD["su"] = "RU"
CCTLD["рф"] = "RU"
# Generic-looking ccTLDs used worldwide by start-ups and link services: no country from these.
for _generic in ("co", "io", "ai", "me", "tv", "cc", "ws", "to", "gg", "ly", "fm", "la", "sh",
                 "is", "st", "vc", "nu", "tk", "ml", "ga", "cf", "gq", "pw", "bz", "ag", "im"):
    CCTLD.pop(_generic, None)
# ...except under an organisational second level ("go.id" is taken care of by "id"; "co.id",
# "com.co" keep their country by the last label, which is not in the list above only for .co).
SECOND_LEVEL_CC: dict[str, str] = {"com.co": "CO", "gov.co": "CO", "edu.co": "CO", "org.co": "CO"}
