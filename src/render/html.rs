//! The HTML page of a story: one self-contained file, rendered with minijinja from the
//! embedded `templates/story.html`. Autoescaping is on for every value; only post content,
//! sanitised by [`crate::sanitize`] while building the view, is marked safe in the template.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::story::StoryView;

const STORY_TEMPLATE: &str = include_str!("../../templates/story.html");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("story.html", STORY_TEMPLATE)
        .expect("the embedded template is checked by the test suite");
    env
}

/// Renders the page of `story`.
pub fn render_story(story: &StoryView) -> Result<String, minijinja::Error> {
    environment()
        .get_template("story.html")?
        .render(minijinja::context! { story })
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_compiles() {
        super::environment();
    }
}
