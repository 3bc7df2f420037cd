//! Generates the `Permission` enum from `data/default_role_permissions.json`: every permission a
//! built-in role carries is a variant, so a misspelt permission fails to compile.

use std::collections::BTreeSet;
use std::fmt::Write as _;

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn main() {
    let src = "data/default_role_permissions.json";
    println!("cargo::rerun-if-changed={src}");
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src).expect("read the role table"))
            .expect("role table is valid JSON");
    let mut names = BTreeSet::new();
    for perms in raw["roles"].as_object().expect("roles object").values() {
        for p in perms.as_array().expect("permission list") {
            names.insert(p.as_str().expect("permission name").to_owned());
        }
    }
    // Permissions the server checks that no built-in role carries (custom roles grant them).
    let extra = "data/extra_permissions.json";
    println!("cargo::rerun-if-changed={extra}");
    let extra: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(extra).expect("read the extra permissions"))
            .expect("extra permissions are a JSON list of names");
    names.extend(extra);
    let mut out = String::new();
    out.push_str(
        "/// A permission some built-in role carries (generated from the role table).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum Permission {\n",
    );
    for n in &names {
        writeln!(out, "    /// `{n}`\n    {},", camel(n)).unwrap();
    }
    out.push_str("}\n\nimpl Permission {\n    /// Every permission, by name.\n    pub const ALL: &'static [Permission] = &[\n");
    for n in &names {
        writeln!(out, "        Permission::{},", camel(n)).unwrap();
    }
    out.push_str("    ];\n\n    /// The name roles and error details use.\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for n in &names {
        writeln!(out, "            Permission::{} => \"{n}\",", camel(n)).unwrap();
    }
    out.push_str("        }\n    }\n\n    /// The permission of that name, if a built-in role knows it.\n    pub fn from_name(name: &str) -> Option<Self> {\n        match name {\n");
    for n in &names {
        writeln!(
            out,
            "            \"{n}\" => Some(Permission::{}),",
            camel(n)
        )
        .unwrap();
    }
    out.push_str("            _ => None,\n        }\n    }\n}\n");
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("permission.rs");
    std::fs::write(dest, out).expect("write permission.rs");
}
