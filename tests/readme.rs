//! The README's table of finding codes is the output of `vspc-billing explain --markdown`.

use assert_cmd::Command;

#[test]
fn readme_codes_table_matches_explain() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- codes:start -->\n").expect("start marker")
        + "<!-- codes:start -->\n".len();
    let end = readme.find("<!-- codes:end -->").expect("end marker");
    let out = Command::cargo_bin("vspc-billing")
        .unwrap()
        .args(["explain", "--markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        readme[start..end].trim(),
        table.trim(),
        "README.md's code table is stale: paste `vspc-billing explain --markdown` between the markers"
    );
}
