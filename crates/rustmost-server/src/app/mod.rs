//! Business rules and permission checks, independent of HTTP shapes.

pub mod access_tokens;
pub mod actions;
pub mod activation;
pub mod audits;
pub mod authz;
pub mod bots;
pub mod channels;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod email;
pub mod i18n;
pub mod integration_posts;
pub mod jobs;
pub mod login;
pub mod outgoing;
pub mod posts;
pub mod reactions;
pub mod roles;
pub mod scoped_authz;
pub mod secrets;
pub mod sessions;
pub mod signing;
pub mod status;
pub mod teams;
pub mod users;
pub mod webhooks;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The sibling modules a source names as `crate::app::x`, `app::x` or
    /// `crate::app::{x, y::z}`, comments left out.
    fn named_modules(src: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
        let code: String = src
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let ident = |s: &str| -> String {
            s.trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let mut out = BTreeSet::new();
        for (i, _) in code.match_indices("app::") {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[i + "app::".len()..];
            let names: Vec<String> = match rest.strip_prefix('{') {
                Some(list) => {
                    // The top-level items of the braced list.
                    let (mut depth, mut item, mut items) = (0, String::new(), Vec::new());
                    for c in list.chars() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth == 0 => break,
                            '}' => depth -= 1,
                            ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                            _ => item.push(c),
                        }
                    }
                    items.push(item);
                    items.iter().map(|s| ident(s)).collect()
                }
                None => vec![ident(rest)],
            };
            out.extend(names.into_iter().filter(|n| modules.contains(n)));
        }
        out
    }

    /// Module → the modules it names; a folder's files count as their parent module.
    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                for f in std::fs::read_dir(&path).unwrap() {
                    let src = std::fs::read_to_string(f.unwrap().path()).unwrap();
                    sources.entry(name.clone()).or_default().push_str(&src);
                }
            } else if name != "mod" {
                let src = std::fs::read_to_string(&path).unwrap();
                sources.entry(name).or_default().push_str(&src);
            }
        }
        let modules: BTreeSet<String> = sources.keys().cloned().collect();
        sources
            .iter()
            .map(|(m, src)| {
                let mut deps = named_modules(src, &modules);
                deps.remove(m);
                (m.clone(), deps)
            })
            .collect()
    }

    fn reachable(g: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for d in &g[&m] {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    }

    #[test]
    fn the_parser_reads_every_way_a_module_is_named() {
        let modules: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
        let src = "use crate::app::{a, b::{X, Y}};\n// app::d in a comment\nlet x = app::c::f();";
        let want: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
        assert_eq!(named_modules(src, &modules), want);
    }

    /// The app modules call each other in no cycle beyond this known one, which may only
    /// shrink: a post may fire outgoing webhooks and actions whose replies are posts, channel
    /// and team changes write system posts, and `posts` reads channels through `app::channels`.
    /// (Bots and users formed one too until activation moved above both, into `activation`.)
    #[test]
    fn app_modules_form_no_cycle_beyond_the_known_ones() {
        let known: [BTreeSet<String>; 1] = [[
            "actions",
            "channels",
            "integration_posts",
            "posts",
            "teams",
            "webhooks",
        ]
        .map(String::from)
        .into()];
        let g = graph();
        assert!(g.len() > 20, "read the app modules: {:?}", g.keys());
        for m in g.keys() {
            let cycle: BTreeSet<String> = reachable(&g, m)
                .into_iter()
                .filter(|d| reachable(&g, d).contains(m))
                .chain([m.clone()])
                .collect();
            if cycle.len() > 1 {
                assert!(
                    known.iter().any(|k| cycle.is_subset(k)),
                    "a new cycle between app modules: {cycle:?} ({m} → {:?})",
                    g[m]
                );
            }
        }
    }
}
