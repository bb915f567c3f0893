"""The learning app's models, one module per concern; every model is importable from here."""

from civlearn.learning.models.assessment import QuestionnaireResponse, TestAttempt
from civlearn.learning.models.catalogue import Choice, Course, Mode, Question, Unit, Zone, search_normalize
from civlearn.learning.models.certificate import Certificate
from civlearn.learning.models.course_package import CoursePackage
from civlearn.learning.models.enrolment import Enrolment, LearnerClock, MemberConsent
from civlearn.learning.models.gaps import GapReminder, GapReminderPreference
from civlearn.learning.models.member import PLATFORM_ID_VALIDATOR, LearningGoal, MemberProfile
from civlearn.learning.models.partner import PartnerAgency
from civlearn.learning.models.scorm import Sco, ScormAttempt, ScormPackage, ScormSequencing

__all__ = [
    "PLATFORM_ID_VALIDATOR",
    "Certificate",
    "Choice",
    "Course",
    "CoursePackage",
    "Enrolment",
    "GapReminder",
    "GapReminderPreference",
    "LearnerClock",
    "LearningGoal",
    "MemberConsent",
    "MemberProfile",
    "Mode",
    "PartnerAgency",
    "Question",
    "QuestionnaireResponse",
    "Sco",
    "ScormAttempt",
    "ScormPackage",
    "ScormSequencing",
    "TestAttempt",
    "Unit",
    "Zone",
    "search_normalize",
]
