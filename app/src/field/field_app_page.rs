//! `/field`: the field agent's phone app. The page is a shell with no one's data in it
//! (the service worker keeps it, so it opens with no network); `public/field/app.js`
//! fills it from the phone's own store and keeps what is recorded there until it is
//! sent (`public/field/outbox.js`): visits first, then their photos by resumable upload.
//! The server checks everything again; the form's own checks only spare a wasted trip.

use crate::components::form::{BUTTON_CLASS, INPUT_CLASS};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

const CARD: &str = "rounded-2xl border border-stone-200 bg-white p-4 shadow-sm";
const LABEL: &str = "block text-sm font-medium text-stone-700";

fn metric_label(m: crate::domain::readings::Metric) -> &'static str {
    use crate::domain::readings::Metric;
    match m {
        Metric::Temperature => "Temperature",
        Metric::Humidity => "Humidity",
        Metric::SoilMoisture => "Soil moisture",
        Metric::Rainfall => "Rainfall",
        Metric::SoilPh => "Soil pH",
        Metric::Light => "Light",
    }
}

#[component]
pub fn FieldPage() -> impl IntoView {
    view! {
        <Title text="Field · Mandi"/>
        <Link rel="manifest" href="/field/manifest.webmanifest"/>
        <Meta name="mobile-web-app-capable" content="yes"/>
        <div class="mx-auto max-w-xl space-y-4 p-3" data-testid="field-app" data-ready="false">
            <header class="flex items-center justify-between gap-2">
                <h1 class="text-xl font-semibold">"Field visits"</h1>
                <p class="rounded-full bg-stone-200 px-3 py-1 text-sm" data-testid="field-status" aria-live="polite">"Opening…"</p>
            </header>
            <p class="text-sm text-stone-600" data-testid="field-agent"></p>
            <p class="rounded-lg bg-amber-50 p-3 text-sm" data-testid="field-signin" hidden>
                "Sign in to record visits: "<a class="font-medium underline" href="/login?next=%2Ffield">"sign in"</a>
            </p>
            <section class=CARD>
                <h2 class="text-lg font-semibold">"Today's and overdue tasks"</h2>
                <ul class="mt-2 divide-y divide-stone-100 text-sm" data-testid="field-tasks"></ul>
            </section>
            <form class=format!("{CARD} space-y-3") data-testid="visit-form" novalidate>
                <h2 class="text-lg font-semibold">"Record a visit"</h2>
                <div>
                    <label class=LABEL for="visit-farm">"Farm"</label>
                    <select id="visit-farm" name="farm" class=INPUT_CLASS required></select>
                    <p class="text-sm text-red-700" data-error="farm"></p>
                </div>
                <div>
                    <label class=LABEL for="visit-notes">"Notes"</label>
                    <textarea id="visit-notes" name="notes" rows="4" maxlength="4000" class=INPUT_CLASS></textarea>
                    <p class="text-sm text-red-700" data-error="notes"></p>
                </div>
                <fieldset>
                    <legend class=LABEL>"Plant counts"</legend>
                    <div class="mt-1 space-y-2" data-testid="plant-counts"></div>
                    <p class="text-sm text-red-700" data-error="plantCounts"></p>
                </fieldset>
                <fieldset>
                    <legend class=LABEL>"Readings taken by hand"</legend>
                    <div class="mt-1 grid grid-cols-2 gap-2" data-testid="visit-readings">
                        {crate::domain::readings::Metric::ALL.iter().map(|m| {
                            let id = format!("reading-{}", m.as_str());
                            let label_for = id.clone();
                            let label = format!("{} ({})", metric_label(*m), if m.unit() == "C" { "°C" } else { m.unit() });
                            view! {
                                <label class="text-xs text-stone-600" for=label_for>{label}
                                    <input id=id name=m.as_str() type="text" inputmode="decimal" autocomplete="off"
                                        class="mt-1 block w-full rounded-lg border border-stone-300 px-2 py-1.5 text-base"/>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <p class="text-sm text-red-700" data-error="readings"></p>
                </fieldset>
                <div>
                    <label class=LABEL for="visit-photos">"Photos"</label>
                    <input id="visit-photos" name="photos" type="file" accept="image/*" capture="environment" multiple class="mt-1 block w-full text-sm"/>
                    <p class="text-sm text-red-700" data-error="photos"></p>
                </div>
                <div class="flex items-center gap-2">
                    <button type="button" class="rounded-full border border-stone-300 px-3 py-1 text-sm" data-testid="visit-position">"Add my position"</button>
                    <span class="text-sm text-stone-600" data-testid="visit-position-text"></span>
                </div>
                <fieldset>
                    <legend class=LABEL>"Tasks this visit completes"</legend>
                    <div class="mt-1 space-y-1 text-sm" data-testid="visit-tasks"></div>
                </fieldset>
                <button type="submit" class=BUTTON_CLASS data-testid="visit-save">"Save visit"</button>
                <p class="text-sm text-emerald-800" data-testid="visit-saved" aria-live="polite"></p>
            </form>
            <section class=CARD>
                <h2 class="text-lg font-semibold">"On this phone"</h2>
                <p class="text-sm text-stone-600">"Visits and photos wait here until they are sent."</p>
                <ul class="mt-2 divide-y divide-stone-100 text-sm" data-testid="field-outbox"></ul>
            </section>
            <script type="module" src="/field/app.js"></script>
        </div>
    }
}
