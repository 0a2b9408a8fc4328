//! The face checks' advice ([`Advice`]: ICAO Doc 9303-3 photo requirements, ISO/IEC 29794-5
//! quality components) in the operator's language: what the photo screen shows while the
//! applicant is framed. English is the report's own text; Ukrainian is written here, for the
//! operator, with the figures rounded as in English and sides as the image shows them.

use permitkit_quality::face::{
    Advice, BackgroundFigures, BlueYellow, ColourFigures, CoveringFigures, ExposureFigures,
    EyeFigures, Eyes, GlassesFigures, Margin, RedGreen, Side,
};

use super::i18n::Lang;

/// The advice in `l`.
pub(crate) fn advice(l: Lang, a: &Advice) -> String {
    match l {
        Lang::En => a.to_string(),
        Lang::Uk => uk(a),
    }
}

/// "ліворуч/праворуч на зображенні".
fn side(s: Side) -> &'static str {
    match s {
        Side::Left => "ліворуч на зображенні",
        Side::Right => "праворуч на зображенні",
    }
}

/// "ліворуч/праворуч", for a direction the operator acts in.
fn towards(s: Side) -> &'static str {
    match s {
        Side::Left => "ліворуч",
        Side::Right => "праворуч",
    }
}

fn eyes(f: &EyeFigures) -> String {
    let ([lr, ll], [ir, il]) = (f.lids, f.iris_band);
    format!("повіки {lr:.2} / {ll:.2}, смуга райдужки {ir:.2} / {il:.2} відстані між очима")
}

fn glasses(f: &GlassesFigures) -> String {
    format!(
        "оправа {:.2}, відблиски {:.1} %, тонування {:.0} %",
        f.frames,
        100.0 * f.reflection,
        100.0 * f.tint
    )
}

fn covering(f: &CoveringFigures) -> String {
    format!(
        "{:.0} % смуги над чолом не кольору волосся, {:.0} % гладкі, як тканина; текстура {:.3}",
        100.0 * f.foreign,
        100.0 * f.smooth,
        f.texture
    )
}

fn exposure(f: &ExposureFigures) -> String {
    format!(
        "середня яскравість {:.0} %, розкид {:.0} %, чорного {:.1} %, пересвіченого {:.1} %",
        f.mean * 100.0,
        f.spread * 100.0,
        f.black * 100.0,
        f.clipped * 100.0
    )
}

fn background(f: &BackgroundFigures) -> String {
    format!(
        "текстура {:.1}, розкид кольору {:.1}, яскравість {:.0} %",
        f.texture,
        f.colour_spread,
        f.luminance * 100.0
    )
}

fn colour(f: &ColourFigures) -> String {
    let ColourFigures { a, b, chroma } = f;
    format!("a* {a:.1}, b* {b:.1}, насиченість {chroma:.1}")
}

/// The advice in Ukrainian. `Advice` may grow (it is `non_exhaustive`): a variant not known
/// here falls back to its English text, and the tests list every variant known.
fn uk(a: &Advice) -> String {
    match a {
        Advice::NoFace => "Обличчя не знайдено: попросіть заявника повернутися обличчям до камери, перевірте кадр і освітлення".to_owned(),
        Advice::OneFace => "Одне обличчя".to_owned(),
        Advice::SeveralFaces { count } => format!(
            "Облич у кадрі: {count}. У кадрі має бути лише заявник — попросіть інших відійти"
        ),
        Advice::FeaturesNotFound => "Риси обличчя не розпізнано: попросіть заявника повернутися обличчям до камери й нічим його не закривати".to_owned(),
        Advice::EyeDistance { pixels } => format!("{pixels:.0} пікс. між очима"),
        Advice::FewPixelsBetweenEyes { pixels, recommended } => format!(
            "{pixels:.0} пікс. між очима, рекомендовано {recommended:.0} пікс.: трохи наблизьте камеру"
        ),
        Advice::TooFewPixelsBetweenEyes { pixels, needed } => format!(
            "Лише {pixels:.0} пікс. між очима, потрібно щонайменше {needed:.0} пікс.: наблизьте камеру (або встановіть вищу роздільну здатність)"
        ),
        Advice::EyeLineLevel { within } => {
            format!("Лінія очей рівна (відхилення до {within:.0}°)")
        }
        Advice::HeadTilted { degrees, towards: s } => format!(
            "Голову нахилено на {degrees:.0}° {} (до {} плеча заявника): попросіть заявника тримати голову прямо",
            side(*s),
            match s {
                Side::Left => "правого",
                Side::Right => "лівого",
            }
        ),
        Advice::FacingCamera => "Заявник дивиться в камеру".to_owned(),
        Advice::HeadTurned { degrees, towards: s } => format!(
            "Голову повернуто приблизно на {degrees:.0}° {}: попросіть заявника дивитися прямо в камеру",
            side(*s)
        ),
        Advice::HeadLevel => "Голова рівно, без нахилу вгору чи вниз".to_owned(),
        Advice::ChinRaised { degrees } => format!(
            "Підборіддя піднято приблизно на {degrees:.0}°: попросіть заявника опустити підборіддя й дивитися прямо в камеру"
        ),
        Advice::HeadBowed { degrees } => format!(
            "Голову опущено приблизно на {degrees:.0}°: попросіть заявника підняти підборіддя й дивитися прямо в камеру"
        ),
        Advice::FaceCentred => "Обличчя по центру фото".to_owned(),
        Advice::FaceOffCentre { share, towards: s } => format!(
            "Обличчя зміщене від центру {} (на {:.0} % ширини фото): поверніть камеру {} або попросіть заявника зміститися {}",
            side(*s),
            share * 100.0,
            towards(*s),
            side(s.opposite())
        ),
        Advice::NoRoomBeside { side: s } => format!(
            "Бракує місця {} для кадрування за ICAO: розташуйте обличчя по центру кадру камери",
            side(*s)
        ),
        Advice::HeadHeight { share } => {
            format!("Голова займає {:.0} % висоти фото", share * 100.0)
        }
        Advice::HeadTooLarge { share } => format!(
            "Голова займає {:.0} % висоти фото: віддаліть камеру",
            share * 100.0
        ),
        Advice::HeadTooSmall { share } => format!(
            "Голова займає лише {:.0} % висоти фото: наблизьте камеру",
            share * 100.0
        ),
        Advice::NoRoomAboveOrBelow { missing } => {
            const ABOVE: &str = "над головою (підніміть камеру або опустіть сидіння)";
            const BELOW: &str = "під підборіддям (опустіть камеру або підніміть сидіння)";
            let where_ = match missing {
                Margin::AboveHead => ABOVE.to_owned(),
                Margin::BelowChin => BELOW.to_owned(),
                Margin::Both => format!("{ABOVE} і {BELOW}"),
            };
            format!("Бракує місця для кадрування за ICAO {where_}")
        }
        Advice::EyesOpen { figures } => {
            format!("Обидва ока розплющені ({})", eyes(figures))
        }
        Advice::EyesClosed { which, figures } => format!(
            "{}: попросіть заявника розплющити обидва ока й дивитися в камеру ({})",
            match which {
                Eyes::Both => "Очі здаються заплющеними або напівзаплющеними",
                Eyes::ImageLeft => "Праве око заявника (ліворуч на зображенні) здається заплющеним або напівзаплющеним",
                Eyes::ImageRight => "Ліве око заявника (праворуч на зображенні) здається заплющеним або напівзаплющеним",
            },
            eyes(figures)
        ),
        Advice::MouthClosed => "Рот закритий".to_owned(),
        Advice::MouthOpen => {
            "Рот відкритий: попросіть заявника закрити рот і розслабити обличчя".to_owned()
        }
        Advice::NeutralExpression => "Нейтральний вираз обличчя".to_owned(),
        Advice::Smiling => "Заявник усміхається: попросіть нейтральний вираз обличчя — рот закритий, без усмішки".to_owned(),
        Advice::EyesVisible => "Очі добре видно".to_owned(),
        Advice::GlareOverEyes => "Відблиски на очах: попросіть трохи нахилити окуляри донизу або зняти їх, перемістіть світло".to_owned(),
        Advice::EyesHidden { which } => format!(
            "{}: попросіть зняти тоновані окуляри, прибрати волосся з очей і все, що їх закриває",
            match which {
                Eyes::Both => "Очі затулені",
                Eyes::ImageLeft => "Праве око заявника (ліворуч на зображенні) затулене",
                Eyes::ImageRight => "Ліве око заявника (праворуч на зображенні) затулене",
            }
        ),
        Advice::NoGlassesProblem { figures } => {
            format!("Окуляри не заважають ({})", glasses(figures))
        }
        Advice::GlassesReflection { figures } => format!(
            "Відблиски на окулярах: попросіть трохи нахилити окуляри донизу або перемістіть світло; або попросіть зняти окуляри ({})",
            glasses(figures)
        ),
        Advice::TintedLenses { figures } => format!(
            "Тоновані лінзи: попросіть зняти окуляри або одягнути окуляри з прозорими лінзами ({})",
            glasses(figures)
        ),
        Advice::GlassesDiscouraged { figures } => format!(
            "Окуляри дозволені, якщо очі добре видно, але краще їх зняти; перевірте, що оправа не закриває очі ({})",
            glasses(figures)
        ),
        Advice::GlassesNotAllowed { figures } => format!(
            "Окуляри не дозволені: попросіть заявника зняти окуляри ({})",
            glasses(figures)
        ),
        Advice::NoHeadCovering { figures } => {
            format!("Голова не покрита ({})", covering(figures))
        }
        Advice::HeadCovered { figures } => format!(
            "Головний убір: попросіть заявника зняти капелюх чи кепку (релігійний головний убір має залишати обличчя відкритим від підборіддя до чола) ({})",
            covering(figures)
        ),
        Advice::EvenLight => "Обидві половини обличчя освітлені рівномірно".to_owned(),
        Advice::ShadowOnSide { side: s, share } => format!(
            "Половина обличчя {} ({} бік заявника) у тіні, темніша на {:.0} %: освітіть цей бік або поставте лампу перед заявником",
            side(*s),
            match s {
                Side::Left => "правий",
                Side::Right => "лівий",
            },
            share * 100.0
        ),
        Advice::ExposureGood { figures } => {
            format!("Експозиція добра ({})", exposure(figures))
        }
        Advice::FaceTooDark { figures } => format!(
            "Обличчя надто темне: додайте світла або збільште експозицію камери ({})",
            exposure(figures)
        ),
        Advice::FaceTooBright { figures } => format!(
            "Обличчя надто світле: зменште світло або експозицію камери ({})",
            exposure(figures)
        ),
        Advice::FlatLight { figures } => format!(
            "Обличчя пласке, малоконтрастне: використайте більш спрямоване світло, перевірте експозицію ({})",
            exposure(figures)
        ),
        Advice::FaceCrushedBlack { figures } => format!(
            "Частини обличчя зовсім чорні: додайте світла або збільште експозицію ({})",
            exposure(figures)
        ),
        Advice::FaceBurntOut { figures } => format!(
            "Частини обличчя пересвічені: зменште світло або експозицію, уникайте відблисків спалаху ({})",
            exposure(figures)
        ),
        Advice::TonalRange { bits } => {
            format!("Тональний діапазон обличчя: {bits:.1} біт")
        }
        Advice::LowTonalRange { bits } => format!(
            "Тональний діапазон обличчя лише {bits:.1} біт: покращте освітлення й експозицію (без сильної обробки фільтрами)"
        ),
        Advice::InFocus => "Обличчя різке".to_owned(),
        Advice::Blurred => "Обличчя розмите: сфокусуйте камеру, попросіть заявника не рухатися, протріть об'єктив".to_owned(),
        Advice::NoBackgroundVisible => {
            "Фону навколо голови не видно: віддаліть камеру".to_owned()
        }
        Advice::PlainBackground { figures } => {
            format!("Однотонний світлий фон ({})", background(figures))
        }
        Advice::BackgroundNotPlain { figures } => format!(
            "Фон неоднотонний ({}): використайте однотонний екран за заявником, приберіть із кадру предмети, прапори, штори та інших людей",
            background(figures)
        ),
        Advice::BackgroundTooDark { figures } => format!(
            "Фон надто темний ({}): використайте світло-сірий, блакитний або білий фон і освітіть його",
            background(figures)
        ),
        Advice::NaturalColour { figures } => {
            format!("Природні кольори ({})", colour(figures))
        }
        Advice::NoColour { figures } => format!(
            "Обличчя без кольору, потрібна кольорова фотографія ({})",
            colour(figures)
        ),
        Advice::ColourCast {
            red_green,
            blue_yellow,
            figures,
        } => {
            let a = red_green.map(|c| match c {
                RedGreen::Green => "зелений",
                RedGreen::RedMagenta => "червоний/пурпуровий",
            });
            let b = blue_yellow.map(|c| match c {
                BlueYellow::Blue => "синій",
                BlueYellow::Yellow => "жовтий",
            });
            let cast: Vec<&str> = a.into_iter().chain(b).collect();
            format!(
                "Колірний відтінок ({}): налаштуйте баланс білого камери під студійне світло ({})",
                cast.join(" і "),
                colour(figures)
            )
        }
        Advice::NoCompressionArtefacts => "Артефактів стиснення не видно".to_owned(),
        Advice::BlockArtefacts => "Блокові артефакти JPEG: використайте оригінальне зображення з камери або вищу якість JPEG".to_owned(),
        Advice::ImageSize { width, height } => format!("{width}×{height} пікс."),
        Advice::ImageTooSmall { width, height } => format!(
            "{width}×{height} пікс. — замало для фото за ICAO: встановіть повну роздільну здатність камери"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_advice() -> Vec<Advice> {
        let eye = EyeFigures {
            lids: [0.05, 0.21],
            iris_band: [0.02, 0.19],
        };
        let glass = GlassesFigures {
            frames: 0.42,
            reflection: 0.031,
            tint: 0.12,
        };
        let cover = CoveringFigures {
            foreign: 0.3,
            smooth: 0.1,
            texture: 0.012,
        };
        let exp = ExposureFigures {
            mean: 0.21,
            spread: 0.08,
            black: 0.031,
            clipped: 0.0,
        };
        let bg = BackgroundFigures {
            texture: 3.2,
            colour_spread: 4.1,
            luminance: 0.62,
        };
        let col = ColourFigures {
            a: 4.0,
            b: 31.3,
            chroma: 32.0,
        };
        vec![
            Advice::NoFace,
            Advice::OneFace,
            Advice::SeveralFaces { count: 3 },
            Advice::FeaturesNotFound,
            Advice::EyeDistance { pixels: 120.0 },
            Advice::FewPixelsBetweenEyes {
                pixels: 80.0,
                recommended: 90.0,
            },
            Advice::TooFewPixelsBetweenEyes {
                pixels: 50.0,
                needed: 60.0,
            },
            Advice::EyeLineLevel { within: 2.0 },
            Advice::HeadTilted {
                degrees: 7.0,
                towards: Side::Left,
            },
            Advice::FacingCamera,
            Advice::HeadTurned {
                degrees: 12.0,
                towards: Side::Right,
            },
            Advice::HeadLevel,
            Advice::ChinRaised { degrees: 9.0 },
            Advice::HeadBowed { degrees: 9.0 },
            Advice::FaceCentred,
            Advice::FaceOffCentre {
                share: 0.12,
                towards: Side::Right,
            },
            Advice::NoRoomBeside { side: Side::Left },
            Advice::HeadHeight { share: 0.75 },
            Advice::HeadTooLarge { share: 0.9 },
            Advice::HeadTooSmall { share: 0.5 },
            Advice::NoRoomAboveOrBelow {
                missing: Margin::AboveHead,
            },
            Advice::NoRoomAboveOrBelow {
                missing: Margin::BelowChin,
            },
            Advice::NoRoomAboveOrBelow {
                missing: Margin::Both,
            },
            Advice::EyesOpen { figures: eye },
            Advice::EyesClosed {
                which: Eyes::Both,
                figures: eye,
            },
            Advice::EyesClosed {
                which: Eyes::ImageLeft,
                figures: eye,
            },
            Advice::EyesClosed {
                which: Eyes::ImageRight,
                figures: eye,
            },
            Advice::MouthClosed,
            Advice::MouthOpen,
            Advice::NeutralExpression,
            Advice::Smiling,
            Advice::EyesVisible,
            Advice::GlareOverEyes,
            Advice::EyesHidden { which: Eyes::Both },
            Advice::EyesHidden {
                which: Eyes::ImageLeft,
            },
            Advice::EyesHidden {
                which: Eyes::ImageRight,
            },
            Advice::NoGlassesProblem { figures: glass },
            Advice::GlassesReflection { figures: glass },
            Advice::TintedLenses { figures: glass },
            Advice::GlassesDiscouraged { figures: glass },
            Advice::GlassesNotAllowed { figures: glass },
            Advice::NoHeadCovering { figures: cover },
            Advice::HeadCovered { figures: cover },
            Advice::EvenLight,
            Advice::ShadowOnSide {
                side: Side::Right,
                share: 0.3,
            },
            Advice::ExposureGood { figures: exp },
            Advice::FaceTooDark { figures: exp },
            Advice::FaceTooBright { figures: exp },
            Advice::FlatLight { figures: exp },
            Advice::FaceCrushedBlack { figures: exp },
            Advice::FaceBurntOut { figures: exp },
            Advice::TonalRange { bits: 7.2 },
            Advice::LowTonalRange { bits: 5.1 },
            Advice::InFocus,
            Advice::Blurred,
            Advice::NoBackgroundVisible,
            Advice::PlainBackground { figures: bg },
            Advice::BackgroundNotPlain { figures: bg },
            Advice::BackgroundTooDark { figures: bg },
            Advice::NaturalColour { figures: col },
            Advice::NoColour { figures: col },
            Advice::ColourCast {
                red_green: Some(RedGreen::Green),
                blue_yellow: None,
                figures: col,
            },
            Advice::ColourCast {
                red_green: Some(RedGreen::RedMagenta),
                blue_yellow: Some(BlueYellow::Yellow),
                figures: col,
            },
            Advice::ColourCast {
                red_green: None,
                blue_yellow: Some(BlueYellow::Blue),
                figures: col,
            },
            Advice::NoCompressionArtefacts,
            Advice::BlockArtefacts,
            Advice::ImageSize {
                width: 1280,
                height: 960,
            },
            Advice::ImageTooSmall {
                width: 320,
                height: 240,
            },
        ]
    }

    #[test]
    fn english_is_the_reports_message() {
        for a in every_advice() {
            assert_eq!(advice(Lang::En, &a), a.to_string());
        }
    }

    #[test]
    fn every_advice_known_is_in_ukrainian() {
        const ENGLISH: [&str; 14] = [
            "camera",
            "applicant",
            " the ",
            "face",
            "eye",
            "head",
            "light",
            "move",
            "ask",
            "glasses",
            "background",
            "colour",
            "image",
            " px",
        ];
        for a in every_advice() {
            let uk = advice(Lang::Uk, &a);
            assert_ne!(uk, a.to_string(), "no Ukrainian for {a:?}");
            assert!(
                uk.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
                "no Cyrillic in {uk:?}"
            );
            let lower = uk.to_lowercase();
            for word in ENGLISH {
                assert!(!lower.contains(word), "English {word:?} in {uk:?}");
            }
        }
    }

    #[test]
    fn the_operator_reads_what_to_do_in_ukrainian() {
        assert_eq!(
            advice(
                Lang::Uk,
                &Advice::HeadTilted {
                    degrees: 7.4,
                    towards: Side::Right,
                }
            ),
            "Голову нахилено на 7° праворуч на зображенні (до лівого плеча заявника): попросіть заявника тримати голову прямо"
        );
        assert_eq!(
            advice(
                Lang::Uk,
                &Advice::TooFewPixelsBetweenEyes {
                    pixels: 61.6,
                    needed: 90.0,
                }
            ),
            "Лише 62 пікс. між очима, потрібно щонайменше 90 пікс.: наблизьте камеру (або встановіть вищу роздільну здатність)"
        );
        assert_eq!(
            advice(
                Lang::Uk,
                &Advice::FaceOffCentre {
                    share: 0.123,
                    towards: Side::Left,
                }
            ),
            "Обличчя зміщене від центру ліворуч на зображенні (на 12 % ширини фото): поверніть камеру ліворуч або попросіть заявника зміститися праворуч на зображенні"
        );
        assert_eq!(
            advice(Lang::Uk, &Advice::MouthOpen),
            "Рот відкритий: попросіть заявника закрити рот і розслабити обличчя"
        );
    }
}
