"""Foreign keys a proposal declares: strongest first, none that closes a cycle."""

from agents.artifacts import ForeignKeyCandidate
from agents.baseline.reference_graph import declarable_foreign_keys


def fk(relation, column, table, key="id", containment=1.0, existing=False):
    return ForeignKeyCandidate(
        relation=relation,
        columns=[column],
        references_table=table,
        references_columns=[key],
        existing_table=existing,
        containment=containment,
    )


def same_name(relation):
    return relation


def test_a_cycle_keeps_the_reference_the_column_name_announces():
    lead = fk("teams", "lead_id", "employees")  # found by its values only
    team = fk("employees", "team_id", "teams", key="team_id")  # team_id names teams
    kept, notes = declarable_foreign_keys([lead, team], table_of=same_name)
    assert kept == [team]
    assert notes == [
        "teams.lead_id → employees.id is not declared as a foreign key: employees already "
        "refers to teams, and a cycle of references cannot be created or loaded table by table."
    ]


def test_a_longer_cycle_is_broken_at_its_weakest_reference():
    references = [
        fk("a", "b_id", "b"),
        fk("b", "c_id", "c"),
        fk("c", "owner_id", "a", containment=1.0),  # owner names no table
    ]
    kept, notes = declarable_foreign_keys(references, table_of=same_name)
    assert kept == references[:2]
    assert notes[0].startswith("c.owner_id → a.id is not declared")


def test_a_table_referring_to_itself_is_noted_not_declared():
    manager = fk("employees", "manager_id", "employees")
    kept, notes = declarable_foreign_keys([manager], table_of=same_name)
    assert kept == []
    assert "employees.manager_id → employees.id" in notes[0]


def test_references_to_tables_on_main_and_acyclic_ones_are_all_kept_in_order():
    references = [
        fk("parents", "mother_id", "people"),
        fk("parents", "father_id", "people"),
        fk("orders", "customer_id", "customers", existing=True),
        fk("birthdays", "person_id", "people"),
    ]
    kept, notes = declarable_foreign_keys(
        references, table_of=lambda r: None if r == "customers" else r
    )
    assert kept == references and notes == []


def test_folded_or_renamed_relations_are_judged_by_the_table_they_feed():
    # both relations feed one table `everyone`: a reference between them is to itself
    kept, notes = declarable_foreign_keys(
        [fk("staff", "person_id", "people")], table_of=lambda r: "everyone"
    )
    assert kept == [] and "everyone.person_id → everyone.id" in notes[0]
