"""Who the caller is."""

from django.http import HttpRequest
from ninja import Field, Router, Schema

from vulndesk.accounts.models import User
from vulndesk.core.api import caller, problem_responses
from vulndesk.core.permissions import ROLE_PERMISSIONS, Role

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    role: str
    is_psirt_staff: bool
    permissions: list[str] = Field(description="What the role allows; some also depend on the object.")

    @staticmethod
    def resolve_permissions(user: User) -> list[str]:
        return sorted(ROLE_PERMISSIONS[Role(user.role)])


@router.get("/me", response=MeOut, summary="Who am I", openapi_extra=problem_responses(401))
def get_me(request: HttpRequest) -> User:
    return caller(request)
