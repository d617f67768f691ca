"""The WebVTT captions: one cue per speech, the speaker as a voice span, markup escaped."""

from __future__ import annotations

from dataclasses import dataclass

from captions.vtt import captions_vtt, timestamp


@dataclass
class C:
    speaker: str
    start: float
    end: float
    text: str


def test_it_writes_a_cue_per_speech_with_the_speaker_as_voice():
    vtt = captions_vtt([C("Medlem 1", 1.5, 4.25, "we need more  money"), C("Ordfører Olsen", 3725.0, 3730.5, "thanks")])
    assert vtt == ("WEBVTT\n\nspeech-1\n00:00:01.500 --> 00:00:04.250\n<v Medlem 1>we need more money</v>\n\n"
                   "speech-2\n01:02:05.000 --> 01:02:10.500\n<v Ordfører Olsen>thanks</v>\n")


def test_it_escapes_markup_in_names_and_text():
    vtt = captions_vtt([C("A <b> & B", 0, 1, "x --> y <i>")])
    assert "<v A &lt;b&gt; &amp; B>x --&gt; y &lt;i&gt;</v>" in vtt
    assert vtt.count("-->") == 1  # only the timing line's arrow


def test_it_leaves_out_a_speech_with_nothing_recognised():
    assert captions_vtt([C("A", 0, 1, "  "), C("B", 2, 3, "yes")]).count("<v ") == 1


def test_timestamps_round_to_milliseconds():
    assert timestamp(59.9996) == "00:01:00.000" and timestamp(-1) == "00:00:00.000"


def test_a_cue_is_shown_while_the_words_are_spoken_not_the_whole_floor_interval():
    import numpy as np

    from captions.engines import SAMPLE_RATE
    from captions.recording import voiced_span

    pcm = np.zeros(SAMPLE_RATE * 4, np.int16)  # the floor for 4 s from 10 s into the recording
    pcm[int(0.9 * SAMPLE_RATE):int(3.1 * SAMPLE_RATE)] = 3000  # words from 0.9 s to 3.1 s
    start, end = voiced_span(pcm, 10.0, 14.0)
    assert abs(start - 10.9) < 0.03 and abs(end - 13.1) < 0.03
    assert voiced_span(np.zeros(SAMPLE_RATE, np.int16), 5.0, 6.0) == (5.0, 6.0)  # silence: as it was
