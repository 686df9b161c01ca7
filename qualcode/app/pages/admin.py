"""Admin page: users and roles, project settings (blind coding, agreement unit, team mode)."""

from __future__ import annotations

import streamlit as st

from ...auth import check_password_strength, hash_password, team_mode
from ...store import Actor, Store
from ...vocabulary import ROLES, SETTINGS
from .. import state
from ..components import tables

SETTINGS_HELP = {
    "blind_mode": "Annotators see only their own codings (supervisors see all).",
    "blind_revealed": "Reveal everyone's codings to annotators once coding is finished.",
}


def _set(key: str, value: str) -> None:
    project = state.user_project()
    state.run_action(project.store.set_setting, project.actor, key, value, success=f"{key} = {value}")


def _access_form(store: Store, actor: Actor) -> None:
    """Disable, enable, remove or unlock a user: their open sessions end at once."""
    names = [n for n in state.users(store)["name"].tolist() if n not in ("local", "consensus")]
    with st.form("qc_admin_access"):
        cols = st.columns([2, 2])
        who = cols[0].selectbox("User", names, index=None, key="qc_admin_access_user", placeholder="Choose a user")
        what = cols[1].radio(
            "Action",
            ["disable", "enable", "remove", "unlock"],
            horizontal=True,
            key="qc_admin_access_action",
            help="disable: sign-in refused and open sessions end at once (codings stay); remove: the account "
            "and password go (a name with codings stays, disabled); unlock: end a pause after failed sign-ins.",
        )
        if st.form_submit_button("Apply"):
            with state.user_errors():
                if not who:
                    st.error("Choose a user.")
                    return
                if what == "disable":
                    ended = store.disable_user(actor, who)
                    message = f"User '{who}' disabled; {ended} open session(s) ended."
                elif what == "enable":
                    store.disable_user(actor, who, disabled=False)
                    message = f"User '{who}' may sign in again."
                elif what == "remove":
                    store.remove_user(actor, who)
                    message = f"User '{who}' removed; their sessions ended."
                else:
                    store.unlock_user(actor, who)
                    message = f"Sign-in for '{who}' is open again."
                state.flash("success", message)
                st.rerun()


def render() -> None:
    project = state.user_project()
    store, actor = project.store, project.actor
    st.header("Admin")
    with state.user_errors():
        store.require(actor, "admin", "administer the project")
        st.subheader("Users")
        tables.dataframe(state.users(store), hide_index=True, width="stretch", key="qc_admin_users")
        with st.form("qc_admin_user", clear_on_submit=True):
            cols = st.columns(3)
            name = cols[0].text_input("User name")
            role = cols[1].selectbox("Role", ROLES)
            password = cols[2].text_input("Password (leave empty to keep / none)", type="password")
            if st.form_submit_button("Save user"):
                with state.user_errors():
                    if not name.strip():
                        st.error("Give a user name.")
                    else:
                        hashed = None
                        if password:
                            check_password_strength(password)
                            hashed = hash_password(password)
                        store.add_user(actor, name.strip(), role, hashed)
                        state.flash("success", f"User '{name.strip()}' saved as {role}.")
                        st.rerun()
        _access_form(store, actor)
        st.subheader("Settings")
        for key, help_text in SETTINGS_HELP.items():
            current = store.get_setting(key, "false") == "true"
            st.toggle(
                key.replace("_", " ").capitalize(),
                value=current,
                key=f"qc_admin_{key}",
                help=help_text,
                on_change=lambda k=key: _set(k, "true" if st.session_state[f"qc_admin_{k}"] else "false"),
            )
        unit = store.get_setting("agreement_unit", "sentence") or "sentence"
        units = SETTINGS["agreement_unit"]
        st.selectbox(
            "Default agreement unit",
            units,
            index=units.index(unit) if unit in units else 0,
            key="qc_admin_agreement_unit",
            on_change=lambda: _set("agreement_unit", st.session_state["qc_admin_agreement_unit"]),
        )
        st.divider()
        is_team = team_mode(store)
        st.markdown(f"**Mode:** {'team mode (sign-in required)' if is_team else 'single-machine mode'}")
        if not is_team:
            st.caption("Team mode requires every user to sign in; create an admin account with a password first.")
        st.toggle(
            "Team mode",
            value=is_team,
            key="qc_admin_team_mode",
            on_change=lambda: _set("team_mode", "true" if st.session_state["qc_admin_team_mode"] else "false"),
        )
